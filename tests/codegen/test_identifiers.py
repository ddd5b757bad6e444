# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.codegen.identifiers: sanitizing vs rejecting names."""

from __future__ import annotations

import pytest

from platformio_tinyml.codegen.identifiers import (
    C_RESERVED_WORDS,
    assert_valid_identifier,
    symbol_stem,
    to_c_identifier,
)
from platformio_tinyml.errors import CodegenError

SANITIZE_EXPECTED = [
    ("mnist", "mnist"),
    ("MNIST_Dense", "mnist_dense"),
    ("mnist.int8", "mnist_int8"),
    ("2-layer CNN", "m_2_layer_cnn"),
    ("cifar10-resnet8", "cifar10_resnet8"),
    ("for", "for_model"),
    ("modèle", "mod_le"),
    ("  padded  ", "padded"),
]


@pytest.mark.parametrize(("stem", "expected"), SANITIZE_EXPECTED)
def test_to_c_identifier_sanitizes(stem: str, expected: str) -> None:
    assert to_c_identifier(stem) == expected


@pytest.mark.parametrize("stem", ["", "---", "   "])
def test_to_c_identifier_rejects_names_without_letters(stem: str) -> None:
    with pytest.raises(CodegenError, match="set custom_tinyml_symbol_prefix"):
        to_c_identifier(stem)


def test_to_c_identifier_caps_length() -> None:
    assert len(to_c_identifier("x" * 200)) == 63


@pytest.mark.parametrize("name", ["mnist", "m_2", "_private", "Model9", "a" * 63])
def test_assert_valid_identifier_accepts(name: str) -> None:
    assert assert_valid_identifier(name) == name


INVALID_EXPECTED = [
    ("for", "'for' is a reserved word in C; set custom_tinyml_symbol_prefix"),
    ("class", "'class' is a reserved word in C"),
    ("constexpr", "reserved word"),
    ("9lives", "'9lives' is not a valid C identifier (starts with a digit)"),
    ("my-model", "contains '-'"),
    ("my model", "contains ' '"),
    ("modèle", "contains 'è'"),
    ("__x", "reserved for the compiler"),
    ("_X", "reserved for the compiler"),
    ("", "is empty"),
    ("a" * 64, "is 64 characters long"),
]


@pytest.mark.parametrize(("name", "fragment"), INVALID_EXPECTED)
def test_assert_valid_identifier_rejects(name: str, fragment: str) -> None:
    with pytest.raises(
        CodegenError, match=fragment.replace("(", r"\(").replace(")", r"\)")
    ):
        assert_valid_identifier(name)


def test_assert_valid_identifier_names_the_option() -> None:
    with pytest.raises(CodegenError, match="custom_tinyml_labels 'a-b'"):
        assert_valid_identifier("a-b", option="labels")


def test_symbol_stem_says_whether_it_sanitized() -> None:
    assert symbol_stem(None, "My Model") == ("my_model", True)
    assert symbol_stem("mnist", "ignored") == ("mnist", False)
    with pytest.raises(CodegenError, match="reserved word"):
        symbol_stem("while", "ok")


def test_reserved_words_cover_c_and_cpp() -> None:
    for word in ("int", "static_assert", "nullptr", "_Bool", "co_await", "and_eq"):
        assert word in C_RESERVED_WORDS
    # Every sanitized name is usable: the sanitizer never yields a reserved word.
    for word in C_RESERVED_WORDS:
        assert assert_valid_identifier(to_c_identifier(word)) == to_c_identifier(word)
