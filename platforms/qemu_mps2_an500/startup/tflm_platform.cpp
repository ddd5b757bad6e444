// SPDX-License-Identifier: Apache-2.0
// TensorFlow Lite Micro platform hooks for the emulated Cortex-M7 (QEMU mps2-an500):
// logging through semihosting stdio and a deterministic SysTick time base.
// DWT CYCCNT is not emulated by QEMU, so TFLM's cortex_m_generic timer would read 0.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>

extern "C" void DebugLog(const char* format, va_list args) {
#ifndef TF_LITE_STRIP_ERROR_STRINGS
  vfprintf(stdout, format, args);
#else
  (void)format;
  (void)args;
#endif
}

extern "C" int DebugVsnprintf(char* buffer, size_t buf_size, const char* format,
                              va_list vlist) {
#ifndef TF_LITE_STRIP_ERROR_STRINGS
  return vsnprintf(buffer, buf_size, format, vlist);
#else
  (void)format;
  (void)vlist;
  if (buf_size > 0) buffer[0] = '\0';
  return 0;
#endif
}

namespace {

volatile uint32_t* const kSystCsr = reinterpret_cast<volatile uint32_t*>(0xE000E010);
volatile uint32_t* const kSystRvr = reinterpret_cast<volatile uint32_t*>(0xE000E014);
volatile uint32_t* const kSystCvr = reinterpret_cast<volatile uint32_t*>(0xE000E018);
constexpr uint32_t kSysTickMask = 0x00FFFFFFu;

bool g_systick_started = false;
uint32_t g_high = 0;      // software extension of the 24-bit down counter
uint32_t g_last_low = 0;  // last elapsed-tick value within the current period

}  // namespace

namespace tflite {

// SysTick runs from the 25 MHz SYSCLK. Under `-icount shift=0` one tick is exactly
// 40 guest instructions, so timings are deterministic.
uint32_t ticks_per_second() { return 25000000u; }

uint32_t GetCurrentTimeTicks() {
  if (!g_systick_started) {
    *kSystRvr = kSysTickMask;
    *kSystCvr = 0;
    *kSystCsr = 5;  // processor clock, enabled, no interrupt
    g_systick_started = true;
  }
  const uint32_t low = kSysTickMask - (*kSystCvr & kSysTickMask);
  if (low < g_last_low) g_high += kSysTickMask + 1u;  // wrapped since the last call
  g_last_low = low;
  return g_high + low;
}

}  // namespace tflite
