# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.placement: keywords and linker section names."""

from __future__ import annotations

import pytest

from platformio_tinyml.placement import SECTION_KEYWORDS, linker_section


@pytest.mark.parametrize(("keyword", "section"), sorted(SECTION_KEYWORDS.items()))
def test_keywords_map_to_their_sections(keyword: str, section: str) -> None:
    assert linker_section(keyword) == section
    assert linker_section(f"  {keyword.upper()} ") == section


@pytest.mark.parametrize("name", [".qspi_model", "._x", ".a.b_1"])
def test_explicit_section_names_pass_through(name: str) -> None:
    assert linker_section(f" {name}\t") == name


@pytest.mark.parametrize("value", ["flash", "qspi model", ".9bad", ".", "", "sdram;"])
def test_anything_else_is_refused(value: str) -> None:
    assert linker_section(value) is None
