// SPDX-License-Identifier: Apache-2.0
// TensorFlow Lite Micro platform hooks for real boards and the host: DebugLog
// through stdout (the board's serial port), and a time base for TFLM's
// profiler. A dev-platform that brings its own hooks defines
// TINYML_PLATFORM_TFLM_HOOKS (the emulated Cortex-M7 does: QEMU has no DWT
// cycle counter).
#if defined(TINYML_HAVE_TFLM) && !defined(TINYML_PLATFORM_TFLM_HOOKS)

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#if defined(__ZEPHYR__)
#include <zephyr/kernel.h>
#elif defined(TINYML_QEMU_MPS2_AN500)
#include "tinyml_qemu_clock.h"  // from the emulated platform's startup files
#elif !defined(__arm__)
#include <chrono>
#endif

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

#if defined(__arm__) && !defined(__ZEPHYR__) && !defined(TINYML_QEMU_MPS2_AN500)
// CMSIS's core clock variable, defined by the vendor's system file (stm32cube).
extern "C" uint32_t SystemCoreClock __attribute__((weak));
#endif

namespace tflite {

#if defined(__ZEPHYR__)

uint32_t ticks_per_second() { return sys_clock_hw_cycles_per_sec(); }
uint32_t GetCurrentTimeTicks() { return k_cycle_get_32(); }

#elif defined(TINYML_QEMU_MPS2_AN500)

uint32_t ticks_per_second() { return TINYML_QEMU_TICKS_PER_SECOND; }
uint32_t GetCurrentTimeTicks() { return tinyml_qemu_ticks(); }

#elif defined(__arm__)

namespace {
volatile uint32_t* const kDemcr =
    reinterpret_cast<volatile uint32_t*>(0xE000EDFC);
volatile uint32_t* const kDwtCtrl =
    reinterpret_cast<volatile uint32_t*>(0xE0001000);
volatile uint32_t* const kDwtCyccnt =
    reinterpret_cast<volatile uint32_t*>(0xE0001004);
volatile uint32_t* const kDwtLar =
    reinterpret_cast<volatile uint32_t*>(0xE0001FB0);
bool g_dwt_started = false;
}  // namespace

// The Cortex-M7 DWT cycle counter: one tick per core clock cycle.
uint32_t ticks_per_second() {
  return &SystemCoreClock != nullptr ? SystemCoreClock : 0u;
}

uint32_t GetCurrentTimeTicks() {
  if (!g_dwt_started) {
    *kDemcr |= 1u << 24;     // TRCENA
    *kDwtLar = 0xC5ACCE55u;  // unlock (needed on Cortex-M7)
    *kDwtCyccnt = 0;
    *kDwtCtrl |= 1u;  // CYCCNTENA
    g_dwt_started = true;
  }
  return *kDwtCyccnt;
}

#else  // host

uint32_t ticks_per_second() { return 1000000u; }

uint32_t GetCurrentTimeTicks() {
  static const auto start = std::chrono::steady_clock::now();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
}

#endif

}  // namespace tflite

#endif  // TINYML_HAVE_TFLM
