# SPDX-License-Identifier: Apache-2.0
from platformio_tinyml.pio.test_runner import CustomTestRunner  # noqa: F401
