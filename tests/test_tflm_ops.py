# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.tflm_ops: the one table of TFLM builtin op support."""

from __future__ import annotations

import re

import pytest

from platformio_tinyml.errors import ConfigError
from platformio_tinyml.tflm_ops import TFLM_OPS
from platformio_tinyml.tflm_sources import locate_tflm

KERNELS = "tensorflow/lite/micro/kernels"


def test_table_shape() -> None:
    assert TFLM_OPS["CONV_2D"].resolver_method == "AddConv2D"
    assert TFLM_OPS["CONV_2D"].kernels == ("conv", "conv_common")
    assert "CUSTOM" not in TFLM_OPS and "TOPK_V2" not in TFLM_OPS
    for name, op in TFLM_OPS.items():
        assert re.fullmatch(r"Add[A-Za-z0-9]+", op.resolver_method), name
        assert op.kernels, name
        assert all(re.fullmatch(r"[a-z0-9_]+", k) for k in op.kernels), name
    methods = [op.resolver_method for op in TFLM_OPS.values()]
    assert len(set(methods)) == len(methods)


def test_inspection_and_source_selection_agree_on_every_op() -> None:
    """An op the model check accepts is one the build can compile, and vice versa."""
    from platformio_tinyml import tflm_sources

    for name in TFLM_OPS:
        assert set(TFLM_OPS[name].kernels) <= set(tflm_sources._kernel_stems([name]))
    with pytest.raises(ConfigError, match="'TOPK_V2' has no known TFLM kernel"):
        tflm_sources._kernel_stems(["TOPK_V2"])


def _resolver_methods() -> dict[str, tuple[str, str]]:
    """Builtin op -> (AddX method, default Register_Y) from the checkout's resolver."""
    tree = locate_tflm()
    if tree is None:
        pytest.skip("no tflite-micro checkout (set TINYML_TFLM_DIR)")
    header = tree.root / "tensorflow/lite/micro/micro_mutable_op_resolver.h"
    found = {}
    for method, body in re.findall(
        r"TfLiteStatus (Add\w+)\((.*?)\n  }", header.read_text(), re.S
    ):
        op = re.search(r"BuiltinOperator_(\w+)", body)
        register = re.search(r"(Register_\w+)\(\)", body)
        if op and register and op.group(1) != "CUSTOM":
            found[op.group(1)] = (method, register.group(1))
    return found


@pytest.mark.tflm_sources
def test_table_matches_the_checkout_resolver() -> None:
    methods = {op: method for op, (method, _) in _resolver_methods().items()}
    assert methods == {name: op.resolver_method for name, op in TFLM_OPS.items()}


@pytest.mark.tflm_sources
def test_every_op_s_kernel_files_exist_and_define_its_registration() -> None:
    registrations = _resolver_methods()
    tree = locate_tflm()
    assert tree is not None
    for name, op in TFLM_OPS.items():
        files = [tree.root / KERNELS / f"{stem}.cc" for stem in op.kernels]
        missing = [str(f) for f in files if not f.is_file()]
        assert not missing, (name, missing)
        register = registrations[name][1]
        defined = re.compile(rf"TFLMRegistration\s+{register}\(\)\s*\{{")
        assert any(defined.search(f.read_text()) for f in files), (name, register)
