# SPDX-License-Identifier: Apache-2.0
"""Which parts of a framework's board support package (BSP) a board's build compiles.

``framework = stm32cube`` with ``board_build.stm32cube.variant`` compiles every ``.c``
file of ``Drivers/BSP/<variant>`` as the library ``FrameworkVariantBSP``. Some of them
cannot build, or need configuration that a classifier firmware does not use: the
STM32H747I-DISCO camera driver needs a sensor enabled in the BSP configuration, and
its audio driver needs ST's PDM2PCM library, which STM32CubeH7 on GitHub lacks.
They are left out of the build; the sources are not changed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BSP_LIBRARY", "BspSelection", "bsp_selection"]

# The name stm32cube.py gives the BSP variant's library builder.
BSP_LIBRARY = "FrameworkVariantBSP"


@dataclass(frozen=True)
class BspSelection:
    """The BSP files to leave out for one board and framework."""

    excluded: tuple[str, ...]  # file names inside Drivers/BSP/<variant>
    reason: str

    @property
    def src_filter(self) -> str:
        """SCons ``SRC_FILTER`` for the BSP library: everything but ``excluded``."""
        return " ".join(["+<*>", *(f"-<{name}>" for name in self.excluded)])


_SELECTIONS: dict[tuple[str, str], BspSelection] = {
    ("disco_h747xi", "stm32cube"): BspSelection(
        excluded=("stm32h747i_discovery_camera.c", "stm32h747i_discovery_audio.c"),
        reason="camera (no sensor configured) and audio (needs ST's PDM2PCM) unused",
    ),
}


def bsp_selection(
    board_id: str | None, frameworks: tuple[str, ...]
) -> BspSelection | None:
    """The BSP files to leave out, or None when the whole BSP is built."""
    if not board_id:
        return None
    for framework in frameworks:
        selection = _SELECTIONS.get((board_id, framework))
        if selection is not None:
            return selection
    return None
