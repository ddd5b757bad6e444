// SPDX-License-Identifier: Apache-2.0
// Classification status and result: shared by the classifier, the reporter and
// the canvas, and free of any TFLM header.
#ifndef TINYML_RESULT_H_
#define TINYML_RESULT_H_

#include <cstdint>

namespace tinyml {

enum class Status : uint8_t {
  kOk,
  kModelVersionMismatch,
  kAllocationFailed,
  kInputMismatch,
  kInvokeFailed,
  kNotReady,
};

// One inference: the winning category, its dequantized score and how long the
// last Invoke() took.
struct Result {
  int label;
  float score;
  uint32_t latency_us;
};

// A stable lower-case name for `status` ("ok", "model_version_mismatch", ...),
// suitable for `TINYML fail <reason>` lines.
const char* StatusName(Status status);

}  // namespace tinyml

#endif  // TINYML_RESULT_H_
