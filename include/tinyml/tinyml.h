// SPDX-License-Identifier: Apache-2.0
// Umbrella header of the tinyml runtime (no TFLM header needed).
#ifndef TINYML_TINYML_H_
#define TINYML_TINYML_H_

#include "tinyml/canvas.h"
#include "tinyml/classifier.h"
#include "tinyml/display.h"
#include "tinyml/font.h"
#include "tinyml/image_input.h"
#include "tinyml/model_descriptor.h"
#include "tinyml/output.h"
#include "tinyml/result.h"
#include "tinyml/result_reporter.h"
#include "tinyml/timing.h"

#endif  // TINYML_TINYML_H_
