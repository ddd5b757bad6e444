# SPDX-License-Identifier: Apache-2.0
"""Post script of the test project: reports whether the build imported TensorFlow."""

import sys

print("TINYML-TEST tensorflow-imported=%s" % ("tensorflow" in sys.modules))
