// SPDX-License-Identifier: Apache-2.0
// Configuration the BSP's FT6x06 touch controller driver includes
// (stm32h747i_discovery_ts.c). The example does not use touch input.
#ifndef FT6X06_CONF_H
#define FT6X06_CONF_H

#define FT6X06_AUTO_CALIBRATION_ENABLED 0U
// The 800 x 480 panel of the board's MB1166 LCD module.
#define FT6X06_MAX_X_LENGTH 800U
#define FT6X06_MAX_Y_LENGTH 480U

#endif  // FT6X06_CONF_H
