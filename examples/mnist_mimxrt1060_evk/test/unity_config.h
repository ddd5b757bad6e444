// SPDX-License-Identifier: Apache-2.0
// Unity writes through stdout, which every env of this project routes to its
// console: the ST-LINK/DAPLink UART on boards, semihosting under QEMU.
#ifndef UNITY_CONFIG_H
#define UNITY_CONFIG_H

#include <stdio.h>

#define UNITY_OUTPUT_CHAR(c) putchar(c)
#define UNITY_OUTPUT_FLUSH() fflush(stdout)

#endif  // UNITY_CONFIG_H
