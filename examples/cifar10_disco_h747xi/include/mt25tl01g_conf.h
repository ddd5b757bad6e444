// SPDX-License-Identifier: Apache-2.0
// Configuration the BSP's MT25TL01G QSPI flash driver includes
// (stm32h747i_discovery_qspi.c). The example does not use the QSPI flash; these
// are the driver's documented defaults so that the BSP compiles.
#ifndef MT25TL01G_CONF_H
#define MT25TL01G_CONF_H

#include "stm32h7xx_hal.h"

#define CONF_MT25TL01G_READ_ENHANCE 0
#define CONF_QSPI_ODS MT25TL01G_CR_ODS_15
#define CONF_QSPI_DUMMY_CLOCK 8U
#define MT25TL01G_DUMMY_CYCLES_READ_QUAD 8U
#define MT25TL01G_DUMMY_CYCLES_READ 8U
#define MT25TL01G_DUMMY_CYCLES_READ_DTR 6U
#define MT25TL01G_DUMMY_CYCLES_READ_QUAD_DTR 8U

#endif  // MT25TL01G_CONF_H
