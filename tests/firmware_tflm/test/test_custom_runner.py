# SPDX-License-Identifier: Apache-2.0
"""pio test runner of this project: Unity-format results, firmware run in QEMU."""

from platformio_tinyml.pio.test_runner import CustomTestRunner  # noqa: F401
