// SPDX-License-Identifier: Apache-2.0
// Board configuration the STM32H747I-DISCO BSP requires from every project
// (it includes "stm32h747i_discovery_conf.h"). The components' own
// configuration headers are beside it: is42s32800j_conf.h, mt25tl01g_conf.h,
// ft6x06_conf.h. The camera and audio drivers are left out of the build by the
// tinyml library.
#ifndef STM32H747I_DISCO_CONF_H
#define STM32H747I_DISCO_CONF_H

#include "stm32h7xx_hal.h"

// Result lines go through newlib's _write (src/boards/disco_h747xi/serial.cpp
// of the tinyml library), not through the BSP's COM port driver.
#define USE_COM_LOG 0U
#define USE_BSP_COM_FEATURE 0U

// The board's LCD module uses the OTM8009A controller; no HDMI adapter.
#define USE_LCD_CTRL_NT35510 0U
#define USE_LCD_CTRL_OTM8009A 1U
#define USE_LCD_CTRL_ADV7533 0U

// Layer framebuffers in the 32 MB SDRAM (FMC bank 2).
#define LCD_LAYER_0_ADDRESS 0xD0000000U
#define LCD_LAYER_1_ADDRESS 0xD0200000U

#define USE_DMA2D_TO_FILL_RGB_RECT 0U
#define USE_CAMERA_SENSOR_OV5640 0U
#define USE_CAMERA_SENSOR_OV9655 0U
#define USE_SD_BUS_WIDE_4B 1U
#define USE_AUDIO_CODEC_WM8994 0U
#define USE_TS_GESTURE 0U
#define USE_TS_MULTI_TOUCH 0U
#define TS_TOUCH_NBR 2U

#define BSP_SDRAM_IT_PRIORITY 15U
#define BSP_CAMERA_IT_PRIORITY 15U
#define BSP_BUTTON_WAKEUP_IT_PRIORITY 15U
#define BSP_AUDIO_OUT_IT_PRIORITY 14U
#define BSP_AUDIO_IN_IT_PRIORITY 15U
#define BSP_SD_IT_PRIORITY 14U
#define BSP_SD_RX_IT_PRIORITY 14U
#define BSP_SD_TX_IT_PRIORITY 15U
#define BSP_TS_IT_PRIORITY 15U
#define BSP_JOY1_SEL_IT_PRIORITY 15U
#define BSP_JOY1_DOWN_IT_PRIORITY 15U
#define BSP_JOY1_LEFT_IT_PRIORITY 15U
#define BSP_JOY1_RIGHT_IT_PRIORITY 15U
#define BSP_JOY1_UP_IT_PRIORITY 15U

#endif  // STM32H747I_DISCO_CONF_H
