# SPDX-License-Identifier: Apache-2.0
"""C identifier rules: sanitize model names into symbol stems, reject invalid names."""

from __future__ import annotations

import re

from ..errors import CodegenError

# C11/C23 and C++20 keywords, plus the alternative operator spellings of C++.
C_RESERVED_WORDS: frozenset[str] = frozenset(
    """
    alignas alignof and and_eq asm auto bitand bitor bool break case catch char
    char8_t char16_t char32_t class compl concept const consteval constexpr constinit
    const_cast continue co_await co_return co_yield decltype default delete do double
    dynamic_cast else enum explicit export extern false float for friend goto if
    inline int long mutable namespace new noexcept not not_eq nullptr operator or
    or_eq private protected public register reinterpret_cast requires restrict return
    short signed sizeof static static_assert static_cast struct switch template this
    thread_local throw true try typedef typeid typename typeof union unsigned using
    virtual void volatile wchar_t while xor xor_eq
    _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn
    _Static_assert _Thread_local
    """.split()
)

_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_LENGTH = 63  # C99 guarantees 63 significant characters in internal identifiers


def to_c_identifier(stem: str) -> str:
    """Sanitize a name (usually a model file stem) into a valid C identifier stem.

    Every character outside ``[A-Za-z0-9_]`` becomes ``_``; the result is
    lower-cased; a leading digit gets an ``m_`` prefix; a reserved word gets a
    ``_model`` suffix: ``"2-layer CNN"`` gives ``m_2_layer_cnn``.

    Args:
        stem: any non-empty name.

    Returns:
        A valid identifier that is not a reserved word.

    Raises:
        CodegenError: ``stem`` is empty or has no usable character.
    """
    ident = re.sub(r"[^A-Za-z0-9_]", "_", stem.strip()).lower()
    if not ident.strip("_"):
        raise CodegenError(
            f"model name '{stem}' has no letter or digit to build a C symbol from; "
            "set custom_tinyml_symbol_prefix"
        )
    if ident[0].isdigit():
        ident = "m_" + ident
    if ident in C_RESERVED_WORDS:
        ident += "_model"
    return ident[:_MAX_LENGTH]


def assert_valid_identifier(name: str, option: str = "symbol_prefix") -> str:
    """Reject (never rewrite) a user-chosen identifier that C/C++ cannot use.

    Args:
        name: the identifier as the user wrote it.
        option: the option it came from; the error names ``custom_tinyml_<option>``.

    Returns:
        ``name`` unchanged.

    Raises:
        CodegenError: ``name`` is empty, contains other characters than letters,
            digits and ``_``, starts with a digit, is too long, is a reserved word, or
            is reserved for the implementation (``__x``, ``_X``).
    """
    setting = f"custom_tinyml_{option}"
    if not name:
        raise CodegenError(f"{setting} '' is empty; use a C identifier such as 'mnist'")
    if name in C_RESERVED_WORDS:
        raise CodegenError(f"'{name}' is a reserved word in C; set {setting}")
    if not _IDENTIFIER_RE.match(name):
        bad = next(
            (c for c in name if not (c.isascii() and (c.isalnum() or c == "_"))), None
        )
        reason = "starts with a digit" if name[0].isdigit() else f"contains {bad!r}"
        raise CodegenError(
            f"{setting} '{name}' is not a valid C identifier ({reason}); "
            "use letters, digits and '_', not starting with a digit"
        )
    if name.startswith("__") or (name[0] == "_" and name[1:2].isupper()):
        raise CodegenError(
            f"{setting} '{name}' is reserved for the compiler (leading '__' or "
            "'_' + capital); drop the leading underscore"
        )
    if len(name) > _MAX_LENGTH:
        raise CodegenError(
            f"{setting} '{name[:20]}...' is {len(name)} characters long; "
            f"use at most {_MAX_LENGTH}"
        )
    return name


def symbol_stem(name: str | None, fallback: str) -> tuple[str, bool]:
    """Choose the symbol stem: a user-given name is validated, a fallback sanitized.

    Args:
        name: ``symbol_prefix`` from the user, or None.
        fallback: usually the model file stem.

    Returns:
        ``(stem, sanitized)``: ``sanitized`` is True when the stem was derived from
        ``fallback`` (and may differ from it), False when ``name`` was used as is.
    """
    if name:
        return assert_valid_identifier(name), False
    return to_c_identifier(fallback), True
