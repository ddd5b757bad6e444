// SPDX-License-Identifier: Apache-2.0
// Fixed, regex-parsable result lines for serial consoles and `pio test`:
//
//   TINYML image=3 label=7 expected=7 score=0.98 us=1234
//   TINYML ok
//   TINYML fail <reason>
//
// `expected=` is omitted when the expected label is unknown (negative). The
// score has two decimals and is formatted without float printf, so it works
// with newlib-nano's default printf. TFLM-free.
#ifndef TINYML_RESULT_REPORTER_H_
#define TINYML_RESULT_REPORTER_H_

#include <cstddef>
#include <cstdint>

#include "tinyml/result.h"

namespace tinyml {

// Receives one complete line, including its trailing '\n'.
using LineSink = void (*)(const char* line, void* context);

// The default sink: fputs(line, stdout) followed by fflush(stdout).
void StdoutLineSink(const char* line, void* context);

class ResultReporter {
 public:
  static constexpr size_t kMaxLineLength = 128;

  // `sink` nullptr selects StdoutLineSink.
  explicit ResultReporter(LineSink sink = nullptr, void* context = nullptr);

  // One inference line. `expected` < 0 means "unknown" and is left out.
  // Counts the result as correct when `expected` >= 0 and equals the label.
  void ReportInference(int image_index, const Result& result, int expected);

  // The final verdict lines.
  void ReportOk();
  void ReportFail(const char* reason);

  // `TINYML ok` when every inference with a known expected label was correct,
  // otherwise `TINYML fail <n> of <m> images misclassified` (or `TINYML fail
  // no inferences were reported`). Returns true on ok.
  bool ReportSummary();

  int inferences() const { return inferences_; }
  int checked() const { return checked_; }
  int correct() const { return correct_; }

 private:
  void Emit(const char* line);

  LineSink sink_;
  void* context_;
  int inferences_ = 0;
  int checked_ = 0;
  int correct_ = 0;
};

// Writes `value` with two decimals ("0.98", "-1.50") into `out` without
// float printf. Returns the number of characters written (excluding the NUL),
// or 0 when `size` is too small.
size_t FormatFixed2(float value, char* out, size_t size);

}  // namespace tinyml

#endif  // TINYML_RESULT_REPORTER_H_
