// SPDX-License-Identifier: Apache-2.0
// TensorFlow Lite Micro platform hooks for the emulated Cortex-M7 (QEMU
// mps2-an500): logging through semihosting stdio and the SysTick time base of
// tinyml_qemu_clock.h (QEMU has no DWT cycle counter).
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "tinyml_qemu_clock.h"

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

namespace tflite {

uint32_t ticks_per_second() { return TINYML_QEMU_TICKS_PER_SECOND; }

uint32_t GetCurrentTimeTicks() { return tinyml_qemu_ticks(); }

}  // namespace tflite
