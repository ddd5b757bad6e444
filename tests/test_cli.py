# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.cli: the documented command lines and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from platformio_tinyml import __version__
from platformio_tinyml.cli import main


def test_version_through_python_m() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "platformio_tinyml", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == f"tinyml {__version__}"


def test_user_error_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["carray", "/nonexistent/model.tflite", "--out-dir", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "/nonexistent/model.tflite" in err


def test_carray_names_its_own_flag_in_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = Path(__file__).parent / "data" / "tiny_cnn_int8.tflite"
    argv = ["carray", str(model), "--out-dir", str(tmp_path), "--section", "flash"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --section 'flash' is not a known placement")
    assert not list(tmp_path.iterdir())


def test_console_script_has_no_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("tinyml")
    if not exe.is_file():
        pytest.skip(
            f"no tinyml console script beside {sys.executable} (pip install -e .)"
        )
    proc = subprocess.run(
        [str(exe), "generate", "--out-dir", str(tmp_path), "--images", "many"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        "error: images 'many' is not a whole number (example: images = 0)"
    )


@pytest.mark.tflm
def test_generate_and_inspect_json(
    tiny_int8_model,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = tmp_path / "m.tflite"
    shutil.copy(tiny_int8_model.tflite_path, model)
    rc = main(
        [
            "--cache-dir",
            str(tmp_path / "cache"),
            "generate",
            "--model",
            str(model),
            "--images",
            "2",
            "--out-dir",
            str(tmp_path / "out"),
        ]
    )
    assert rc == 0
    assert (tmp_path / "out" / "tinyml_model.h").is_file()
    capsys.readouterr()
    assert main(["inspect", str(model), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model_bytes"] == model.stat().st_size
    for key in ("ops", "arena_bytes", "macs", "input", "output"):
        assert key in data
    for key in ("shape", "dtype", "scale", "zero_point"):
        assert key in data["input"]


def _subcommands() -> list[str]:
    """Every subcommand, discovered from the parser rather than listed by hand."""
    import argparse

    from platformio_tinyml.cli import build_parser

    actions = [
        a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    ]
    assert len(actions) == 1
    return sorted(actions[0].choices)


@pytest.mark.parametrize("command", _subcommands())
def test_help_works_for_every_subcommand(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: tinyml {command}")


@pytest.mark.parametrize("command", _subcommands())
def test_the_one_subcommand_parser_matches_the_full_one(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """main() builds only the named subcommand's parser; it must parse the same."""
    from platformio_tinyml.cli import _named_command, build_parser

    assert _named_command(["--cache-dir", "c", command, "x"]) == command
    assert _named_command(["--cach", "c", command]) is None  # abbreviation: all
    helps = []
    for parser in (build_parser(), build_parser(command)):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        helps.append(capsys.readouterr().out)
    assert helps[0] == helps[1]


@pytest.mark.tflm
def test_generate_removes_its_own_files_from_an_earlier_model(
    tiny_int8_model,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    user_file = out / "alpha_notes.cpp"  # the user's, beside generated files
    user_file.write_text("// mine\n")

    def run(stem: str) -> set[str]:
        model = tmp_path / f"{stem}.tflite"
        shutil.copy(tiny_int8_model.tflite_path, model)
        argv = ["--cache-dir", str(tmp_path / "cache"), "generate"]
        argv += ["--model", str(model), "--images", "2", "--out-dir", str(out)]
        assert main(argv) == 0
        return {p.name for p in out.iterdir()}

    first = run("alpha")
    assert "alpha_model_data.h" in first
    edited = out / "alpha_model_settings.cpp"
    edited.write_text(edited.read_text() + "// edited by hand\n")
    second = run("beta")
    assert not any(
        n.startswith("alpha_") for n in second - {edited.name, user_file.name}
    )
    assert {edited.name, user_file.name} <= second  # changed or not ours: kept
    assert {"beta_model_data.h", "beta_model.cpp", "tinyml_model.h"} <= second


@pytest.mark.tensorflow
def test_train_into_a_folder_names_the_file_it_wrote(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Also: TensorFlow's C++ noise about ``use_unbounded_threadpool`` is dropped."""
    from PIL import Image

    for c, cls in enumerate(("a", "b")):
        (tmp_path / "ds" / cls).mkdir(parents=True)
        for i in range(5):
            Image.new("L", (28, 28), 100 * c + i).save(
                tmp_path / "ds" / cls / f"{i}.png"
            )
    out = tmp_path / "models"
    out.mkdir()
    argv = ["--cache-dir", str(tmp_path / "cache"), "train", "--model", "mnist_dense"]
    argv += ["--dataset", f"folder:{tmp_path / 'ds'}", "--epochs", "1"]
    assert main([*argv, "--out", str(out)]) == 0
    written = out / "mnist_dense.keras"
    assert written.is_file()
    captured = capfd.readouterr()
    assert captured.out.rstrip().endswith(f"wrote {written}")
    assert "use_unbounded_threadpool" not in captured.err


@pytest.mark.tensorflow
def test_ctrl_c_during_training_exits_at_once(tmp_path: Path) -> None:
    """SIGINT in the middle of ``fit`` ends the console script within seconds."""
    import os
    import signal
    import time

    exe = Path(sys.executable).with_name("tinyml")
    if not exe.is_file():
        pytest.skip(f"no tinyml console script beside {sys.executable}")
    pytest.importorskip("tensorflow", reason="training needs TensorFlow")
    from PIL import Image

    for c, cls in enumerate(("a", "b")):
        (tmp_path / "ds" / cls).mkdir(parents=True)
        for i in range(200):
            Image.new("L", (28, 28), c * 100 + i % 50).save(
                tmp_path / "ds" / cls / f"{i}.png"
            )
    cmd = [str(exe), "--cache-dir", str(tmp_path / "cache"), "train"]
    cmd += ["--model", "mnist_lenet", "--dataset", f"folder:{tmp_path / 'ds'}"]
    cmd += ["--epochs", "1000", "--out", str(tmp_path / "m.keras")]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # A background child inherits an ignored SIGINT; restore the default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:  # wait until fit is running
            if line.startswith(b"Epoch 2/"):
                break
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[0]
        elapsed = time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert b"interrupted" in rest
    assert elapsed < 5.0, f"exit took {elapsed:.1f} s after SIGINT"
    assert not (tmp_path / "m.keras").exists()


@pytest.mark.tensorflow
def test_mirror_writes_the_model_and_says_what_it_costs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tensorflow", reason="tinyml mirror edits with TensorFlow")
    from platformio_tinyml.pretrained import find_pretrained, pretrained_path

    entry = find_pretrained("cifar10_resnet8")
    assert entry is not None
    model = pretrained_path(entry, tmp_path)
    out = tmp_path / "r8_mirror.tflite"
    assert main(["mirror", str(model), "--out", str(out)]) == 0
    shipped = find_pretrained("cifar10_resnet8_mirror")
    assert shipped is not None and out.stat().st_size == shipped.size_bytes
    assert "12.50M -> 25.00M MACs" in capsys.readouterr().out
    # Mirroring twice is refused, and nothing is written.
    again = tmp_path / "twice.tflite"
    assert main(["mirror", str(out), "--out", str(again)]) == 2
    assert "mirror-averaged already" in capsys.readouterr().err
    assert not again.exists()
