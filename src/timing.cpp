// SPDX-License-Identifier: Apache-2.0
// The installable microsecond clock.
#include "tinyml/timing.h"

namespace tinyml {
namespace {

uint32_t ZeroMicros() { return 0; }

MicrosSource g_micros_source = ZeroMicros;

}  // namespace

void SetMicrosSource(MicrosSource source) {
  g_micros_source = source != nullptr ? source : ZeroMicros;
}

uint32_t Micros() { return g_micros_source(); }

}  // namespace tinyml
