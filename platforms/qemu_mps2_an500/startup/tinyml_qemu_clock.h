/* SPDX-License-Identifier: Apache-2.0
 * The emulated Cortex-M7's time base: SysTick from the 25 MHz SYSCLK, extended
 * to 32 bits in software. With `-icount shift=0` one tick is exactly 40 guest
 * instructions (deterministic); without it, ticks follow host time.
 * DWT CYCCNT is not emulated by QEMU, so it cannot serve here.
 */
#ifndef TINYML_QEMU_CLOCK_H_
#define TINYML_QEMU_CLOCK_H_

#include <stdint.h>

#define TINYML_QEMU_TICKS_PER_SECOND 25000000u

#ifdef __cplusplus
extern "C" {
#endif

/* Ticks since the first call; correct while called at least every 2^24 ticks.
 */
uint32_t tinyml_qemu_ticks(void);

#ifdef __cplusplus
}
#endif

#endif /* TINYML_QEMU_CLOCK_H_ */
