// SPDX-License-Identifier: Apache-2.0
// Names of classification statuses.
#include "tinyml/result.h"

namespace tinyml {

const char* StatusName(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kModelVersionMismatch:
      return "model_version_mismatch";
    case Status::kAllocationFailed:
      return "allocation_failed";
    case Status::kInputMismatch:
      return "input_mismatch";
    case Status::kInvokeFailed:
      return "invoke_failed";
    case Status::kNotReady:
      return "not_ready";
  }
  return "unknown";
}

}  // namespace tinyml
