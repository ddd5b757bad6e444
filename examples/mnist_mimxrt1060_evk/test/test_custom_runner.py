# SPDX-License-Identifier: Apache-2.0
"""`pio test` runner for the qemu env: runs the suite in QEMU and parses Unity lines."""

from platformio_tinyml.pio.test_runner import CustomTestRunner  # noqa: F401
