// SPDX-License-Identifier: Apache-2.0
// Umbrella header of the tinyml runtime. The classifier (which needs TFLM) is
// included only when TINYML_HAVE_TFLM is defined.
#ifndef TINYML_TINYML_H_
#define TINYML_TINYML_H_

#include "tinyml/canvas.h"
#include "tinyml/display.h"
#include "tinyml/font.h"
#include "tinyml/image_input.h"
#include "tinyml/model_descriptor.h"
#include "tinyml/output.h"
#include "tinyml/result.h"
#include "tinyml/result_reporter.h"
#include "tinyml/timing.h"

#if defined(TINYML_HAVE_TFLM)
#include "tinyml/classifier.h"
#endif

#endif  // TINYML_TINYML_H_
