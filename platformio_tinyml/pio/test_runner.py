# SPDX-License-Identifier: Apache-2.0
"""Offline ``pio test`` runner: Unity-format results, firmware run in QEMU mps2-an500.

A test project selects it with ``test_framework = custom`` and a
``test/test_custom_runner.py`` holding
``from platformio_tinyml.pio.test_runner import CustomTestRunner  # noqa: F401``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from platformio.test.runners.readers.native import NativeTestOutputReader
from platformio.test.runners.unity import UnityTestRunner

from ..qemu import qemu_command

__all__ = [
    "QEMU_PLATFORMS",
    "QEMU_TIMEOUT_S",
    "CustomTestRunner",
    "QemuTestOutputReader",
]

QEMU_TIMEOUT_S = 120
QEMU_PLATFORMS = frozenset({"tinyml-qemu-m7"})


class QemuTestOutputReader(NativeTestOutputReader):  # type: ignore[misc]
    """Runs the test ELF in ``qemu-system-arm`` (wrapped in ``timeout``)."""

    def get_testing_command(self) -> list[str]:
        runner = self.test_runner
        build_dir = runner.project_config.get("platformio", "build_dir")
        elf = os.path.join(build_dir, runner.test_suite.env_name, "program.elf")
        return ["timeout", str(QEMU_TIMEOUT_S), *qemu_command(Path(elf))]


class CustomTestRunner(UnityTestRunner):  # type: ignore[misc]
    """Unity's line parser without the Unity download or ``unity_config`` files.

    Test firmware prints Unity-format lines (``file:line:name:PASS|FAIL[: msg]`` and
    ``N Tests N Failures N Ignored``), e.g. through the unity-lite library.
    """

    EXTRA_LIB_DEPS = None  # never ask the registry for Unity

    def configure_build_env(self, env: Any) -> Any:
        return env  # no unity_config.h/.c generation

    def stage_testing(self) -> Any:
        env_section = f"env:{self.test_suite.env_name}"
        if (
            self.options.without_testing
            or self.platform.name not in QEMU_PLATFORMS
            or self.project_config.get(env_section, "test_testing_command")
        ):
            return super().stage_testing()
        import click

        click.secho("Testing (qemu-system-arm -M mps2-an500)...", bold=True)
        return QemuTestOutputReader(self).begin()
