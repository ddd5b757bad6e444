// SPDX-License-Identifier: Apache-2.0
// STM32H747I-DISCO (Cortex-M7 core) bring-up shared by this board's display and
// serial files.
#ifndef TINYML_BOARDS_DISCO_H747XI_BOARD_H_
#define TINYML_BOARDS_DISCO_H747XI_BOARD_H_

namespace tinyml {
namespace board {

// HAL, 400 MHz clocks, caches and the microsecond clock. Idempotent.
void BoardBegin();

// USART1 (ST-LINK virtual COM port, PA9/PA10) at 115200 8N1. Idempotent.
void SerialBegin();

}  // namespace board
}  // namespace tinyml

#endif  // TINYML_BOARDS_DISCO_H747XI_BOARD_H_
