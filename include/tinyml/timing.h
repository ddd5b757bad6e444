// SPDX-License-Identifier: Apache-2.0
// The microsecond clock used to time inferences: boards install a source.
#ifndef TINYML_TIMING_H_
#define TINYML_TIMING_H_

#include <cstdint>

namespace tinyml {

// Returns a free-running microsecond counter; wrap-around is allowed, since
// durations are computed with unsigned subtraction.
using MicrosSource = uint32_t (*)();

// Installs the clock (e.g. DWT->CYCCNT / (SystemCoreClock / 1000000), or the
// Arduino `micros`). Passing nullptr restores the default, which always
// returns 0 so that latencies read 0 rather than garbage on an unset board.
void SetMicrosSource(MicrosSource source);

// The current value of the installed clock.
uint32_t Micros();

// Microseconds elapsed since `start` (a previous Micros() value).
inline uint32_t MicrosSince(uint32_t start) { return Micros() - start; }

}  // namespace tinyml

#endif  // TINYML_TIMING_H_
