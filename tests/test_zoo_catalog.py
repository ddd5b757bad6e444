# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.zoo_catalog: `tinyml zoo list` and `tinyml zoo get`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from platformio_tinyml import zoo_catalog
from platformio_tinyml.boards import RUNTIME_FLASH_ESTIMATE
from platformio_tinyml.cli import main
from platformio_tinyml.pretrained import pretrained_models
from platformio_tinyml.zoo import ARCHITECTURES
from platformio_tinyml.zoo_catalog import (
    boards_not_installed,
    boards_that_fit,
    format_zoo_table,
    zoo_rows,
)


def test_boards_that_fit_follow_the_board_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Limits come from the boards' PlatformIO manifests: installed here for two.
    boards_dir = tmp_path / "core" / "platforms" / "ststm32" / "boards"
    boards_dir.mkdir(parents=True)
    for board_id, flash, ram in (
        ("disco_f746ng", 1_048_576, 327_680),
        ("disco_h747xi", 2_097_152, 524_288),
    ):
        manifest = {"upload": {"maximum_size": flash, "maximum_ram_size": ram}}
        (boards_dir / f"{board_id}.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(tmp_path / "core"))
    assert set(boards_that_fit(100_000, 10_000)) == {
        "disco_f746ng",
        "disco_h747xi",
        "mps2_an500",  # the checkout's own emulated board
    }
    big = 1_048_576 - RUNTIME_FLASH_ESTIMATE + 1  # one byte too many for F746
    fits = boards_that_fit(big, 10_000)
    assert "disco_f746ng" not in fits and "disco_h747xi" in fits
    assert "mimxrt1060_evk" not in fits  # no manifest installed: not claimed
    assert boards_that_fit(10**9, 0) == ()
    # ... and `zoo list` says which boards it could not judge.
    assert boards_not_installed() == ("mimxrt1060_evk",)
    out = format_zoo_table(zoo_rows(), boards_not_installed()).splitlines()
    assert out[-1].startswith(
        "not judged (no PlatformIO board manifest installed): mimxrt1060_evk;"
    )
    assert not format_zoo_table(zoo_rows()).splitlines()[-1].startswith("not judged")


def test_rows_cover_every_architecture_and_pretrained_model() -> None:
    rows = {row.name: row for row in zoo_rows()}
    assert set(rows) == set(ARCHITECTURES) | set(pretrained_models())
    for name, model in pretrained_models().items():
        assert rows[name].model == model
        assert rows[name].source == ("shipped" if model.shipped else "upstream")
        assert rows[name].fits == boards_that_fit(model.size_bytes, model.arena_bytes)
    for name in set(ARCHITECTURES) - set(pretrained_models()):
        assert rows[name].source == "train" and rows[name].model is None


def test_zoo_list_prints_the_measured_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zoo", "list"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    for name, model in pretrained_models().items():
        line = lines[name]
        assert f"{model.accuracy_int8 * 100:.2f}%" in line
        assert f"{model.size_bytes:,} B" in line and f"{model.arena_bytes:,} B" in line
        assert ("shipped" if model.shipped else "upstream") in line
    for name in set(ARCHITECTURES) - set(pretrained_models()):
        assert "train (" in lines[name]


def test_zoo_get_writes_the_shipped_model(
    tmp_path: Path, tmp_cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = next(n for n, m in pretrained_models().items() if m.shipped)
    out = tmp_path / "model.tflite"
    assert main(["zoo", "get", name, "--out", str(out)]) == 0
    shipped = Path(__file__).parents[1] / "platformio_tinyml" / "zoo_models"
    assert out.read_bytes() == (shipped / f"{name}.tflite").read_bytes()
    assert f"wrote {out}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["zoo", "get", "resnet8", "--out", "x.tflite"], "unknown zoo model 'resnet8'"),
        (["zoo", "get", "mnist_dense", "--out", "x.keras"], "must end in .tflite"),
    ],
)
def test_zoo_get_errors_exit_2_and_write_nothing(
    argv: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_zoo_get_of_a_train_only_model_says_how_to_train(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Every architecture ships weights today; a newly added one starts without.
    name = sorted(ARCHITECTURES)[0]
    shipped = {k: v for k, v in pretrained_models().items() if k != name}
    monkeypatch.setattr(zoo_catalog, "pretrained_models", lambda: dict(shipped))
    out = tmp_path / "x.tflite"
    assert main(["zoo", "get", name, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"tinyml train --model {name}" in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_zoo_list_imports_no_tensorflow() -> None:
    code = (
        "import sys; from platformio_tinyml.cli import main; main(['zoo', 'list']); "
        "print('tensorflow' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines()[-1] == "False False"
