/* SPDX-License-Identifier: Apache-2.0
 * Reset and fault handling for the emulated Cortex-M7 (QEMU mps2-an500) with
 * newlib rdimon semihosting. Linked with -nostartfiles: rdimon's crt0 would
 * move SP to the PSRAM top that QEMU reports through SYS_HEAPINFO.
 */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __StackTop, __bss_start__, __bss_end__;
extern int main(void);
extern void __libc_init_array(void);
extern void initialise_monitor_handles(void);

void Reset_Handler(void);
void HardFault_Handler(void);
void Default_Handler(void);

/* crti/crtn and crtbegin are dropped by -nostartfiles. */
void _init(void) {}
void _fini(void) {}
void* __dso_handle = &__dso_handle;

/* A fault must never hang the emulator: exit with a distinctive status (99),
 * which `pio test` reports as "Program errored with 99 code". */
void HardFault_Handler(void) { exit(99); }
void Default_Handler(void) { exit(98); }

__attribute__((section(".isr_vector"), used))
const void* const g_tinyml_vectors[16] = {
    &__StackTop,
    (const void*)Reset_Handler,
    (const void*)Default_Handler, /* NMI */
    (const void*)HardFault_Handler,
    (const void*)HardFault_Handler, /* MemManage */
    (const void*)HardFault_Handler, /* BusFault */
    (const void*)HardFault_Handler, /* UsageFault */
    0,
    0,
    0,
    0,
    (const void*)Default_Handler, /* SVCall */
    (const void*)Default_Handler, /* DebugMon */
    0,
    (const void*)Default_Handler, /* PendSV */
    (const void*)Default_Handler, /* SysTick */
};

void Reset_Handler(void) {
  /* FPU on: CPACR |= CP10 and CP11 full access, before any float code runs. */
  *(volatile uint32_t*)0xE000ED88 |= (0xFu << 20);
  __asm volatile("dsb\n\tisb" ::: "memory");
  for (uint32_t* p = &__bss_start__; p < &__bss_end__; ++p) *p = 0;
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}
