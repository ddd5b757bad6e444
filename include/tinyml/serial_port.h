// SPDX-License-Identifier: Apache-2.0
// The board's serial port as a SerialTransport (serial_link.h): one
// implementation file per board in src/boards/<board_id>/serial_port.cpp
// (QEMU mps2-an500: the CMSDK APB UART0; STM32F746G-DISCO: USART1, the
// ST-LINK virtual COM port).
#ifndef TINYML_SERIAL_PORT_H_
#define TINYML_SERIAL_PORT_H_

#include <cstdint>

#include "tinyml/serial_link.h"

namespace tinyml {

// Starts the port (8N1 at `baud` where the baud rate is real) and returns
// its non-blocking transport.
SerialTransport SerialPortBegin(uint32_t baud);

}  // namespace tinyml

#endif  // TINYML_SERIAL_PORT_H_
