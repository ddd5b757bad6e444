// SPDX-License-Identifier: Apache-2.0
// Fixed-format result lines written through a sink.
#include "tinyml/result_reporter.h"

#include <cstdio>

namespace tinyml {

void StdoutLineSink(const char* line, void* /*context*/) {
  std::fputs(line, stdout);
  std::fflush(stdout);
}

size_t FormatFixed2(float value, char* out, size_t size) {
  const bool negative = value < 0.0f;
  const float magnitude = negative ? -value : value;
  // Round half away from zero to hundredths; clamp to keep the cast defined.
  const float scaled = magnitude * 100.0f + 0.5f;
  const unsigned long hundredths =
      scaled >= 4.0e9f ? 4000000000ul : static_cast<unsigned long>(scaled);
  const bool show_sign = negative && hundredths != 0;
  const int n = std::snprintf(out, size, "%s%lu.%02lu", show_sign ? "-" : "",
                              hundredths / 100, hundredths % 100);
  if (n < 0 || static_cast<size_t>(n) >= size) {
    if (size > 0) out[0] = '\0';
    return 0;
  }
  return static_cast<size_t>(n);
}

ResultReporter::ResultReporter(LineSink sink, void* context)
    : sink_(sink != nullptr ? sink : StdoutLineSink), context_(context) {}

void ResultReporter::ReportInference(int image_index, const Result& result,
                                     int expected) {
  char score[24];
  FormatFixed2(result.score, score, sizeof(score));
  char line[kMaxLineLength];
  if (expected >= 0) {
    std::snprintf(line, sizeof(line),
                  "TINYML image=%d label=%d expected=%d score=%s us=%lu\n",
                  image_index, result.label, expected, score,
                  static_cast<unsigned long>(result.latency_us));
    ++checked_;
    if (result.label == expected) ++correct_;
  } else {
    std::snprintf(line, sizeof(line),
                  "TINYML image=%d label=%d score=%s us=%lu\n", image_index,
                  result.label, score,
                  static_cast<unsigned long>(result.latency_us));
  }
  ++inferences_;
  Emit(line);
}

void ResultReporter::ReportOk() { Emit("TINYML ok\n"); }

void ResultReporter::ReportFail(const char* reason) {
  char line[kMaxLineLength];
  std::snprintf(line, sizeof(line), "TINYML fail %s\n",
                reason != nullptr && reason[0] != '\0' ? reason : "unknown");
  Emit(line);
}

bool ResultReporter::ReportSummary() {
  if (inferences_ == 0) {
    ReportFail("no inferences were reported");
    return false;
  }
  if (correct_ == checked_) {
    ReportOk();
    return true;
  }
  char reason[64];
  std::snprintf(reason, sizeof(reason), "%d of %d images misclassified",
                checked_ - correct_, checked_);
  ReportFail(reason);
  return false;
}

void ResultReporter::Emit(const char* line) { sink_(line, context_); }

}  // namespace tinyml
