# SPDX-License-Identifier: Apache-2.0
"""Where the model bytes go: placement keywords and linker output section names.

Boards' linker scripts map the keywords to QSPI flash, SDRAM, DTCM or AXI SRAM; any
other place must be spelled as an explicit section name (``.my_section``). The
option parser and the code generator both resolve names here, so they accept and
refuse the same values.
"""

from __future__ import annotations

import re

SECTION_KEYWORDS = {
    "qspi": ".qspi_model",
    "sdram": ".sdram_model",
    "dtcm": ".dtcm_model",
    "axisram": ".axisram_model",
}
_SECTION_RE = re.compile(r"^\.[A-Za-z_][A-Za-z0-9_.]*$")

# What an error says after "<option> '<value>'".
NOT_A_SECTION = (
    f"is not a known placement ({', '.join(SECTION_KEYWORDS)}) nor a linker section "
    "name starting with '.' (example: .qspi_model)"
)


def linker_section(value: str) -> str | None:
    """The linker output section for a placement keyword or a ``.name``.

    Args:
        value: a keyword (any case) or a section name; surrounding blanks are ignored.

    Returns:
        The section name, or None when ``value`` is neither (the caller raises its
        own error, ending in :data:`NOT_A_SECTION`).
    """
    text = value.strip()
    if text.lower() in SECTION_KEYWORDS:
        return SECTION_KEYWORDS[text.lower()]
    return text if _SECTION_RE.match(text) else None
