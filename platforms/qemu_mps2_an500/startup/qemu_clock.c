/* SPDX-License-Identifier: Apache-2.0
 * SysTick time base of the emulated Cortex-M7 (see tinyml_qemu_clock.h).
 */
#include "tinyml_qemu_clock.h"

#define SYST_CSR (*(volatile uint32_t*)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t*)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t*)0xE000E018u)
#define SYSTICK_MASK 0x00FFFFFFu

static int g_started;
static uint32_t g_high;     /* software extension of the 24-bit down counter */
static uint32_t g_last_low; /* elapsed ticks within the current period */

uint32_t tinyml_qemu_ticks(void) {
  if (!g_started) {
    SYST_RVR = SYSTICK_MASK;
    SYST_CVR = 0;
    SYST_CSR = 5; /* processor clock, enabled, no interrupt */
    g_started = 1;
  }
  const uint32_t low = SYSTICK_MASK - (SYST_CVR & SYSTICK_MASK);
  if (low < g_last_low)
    g_high += SYSTICK_MASK + 1u; /* wrapped since last call */
  g_last_low = low;
  return g_high + low;
}
