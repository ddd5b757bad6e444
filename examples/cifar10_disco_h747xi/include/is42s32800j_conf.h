// SPDX-License-Identifier: Apache-2.0
// Configuration the BSP's IS42S32800J SDRAM driver includes
// (stm32h747i_discovery_sdram.c).
#ifndef IS42S32800J_CONF_H
#define IS42S32800J_CONF_H

#include "stm32h7xx_hal.h"

// SDRAM refresh counter: ST's value for the board's 100 MHz SDRAM clock (about
// 64 ms / 4096 rows at 100 MHz, with a margin).
#define REFRESH_COUNT ((uint32_t)0x0603)
// Polling limit of the driver's command loops.
#define IS42S32800J_TIMEOUT ((uint32_t)0xFFFF)

#endif  // IS42S32800J_CONF_H
