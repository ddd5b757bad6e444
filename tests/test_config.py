# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.config: the option table, parsing and messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformio_tinyml.config import (
    OPTIONS,
    PIO_PREFIX,
    ArenaMargin,
    TinyMLConfig,
    config_from_pio,
    load_config_file,
    parse_options,
)
from platformio_tinyml.errors import ConfigError

# The option names that documentation and outside checks rely on.
REQUIRED_PIO_OPTIONS = (
    "custom_tinyml_model",
    "custom_tinyml_model_sha256",
    "custom_tinyml_dataset",
    "custom_tinyml_epochs",
    "custom_tinyml_quantization",
    "custom_tinyml_images",
    "custom_tinyml_image_format",
    "custom_tinyml_arena_margin",
    "custom_tinyml_model_section",
    "custom_tinyml_model_address",
    "custom_tinyml_symbol_prefix",
    "custom_tinyml_tflm_dir",
    "custom_tinyml_runtime",
)


def test_every_required_option_exists_once() -> None:
    names = [opt.pio_name for opt in OPTIONS]
    assert len(names) == len(set(names))
    for name in REQUIRED_PIO_OPTIONS:
        assert name in names


def test_every_option_default_matches_the_dataclass_default() -> None:
    defaults = TinyMLConfig()
    for opt in OPTIONS:
        assert getattr(defaults, opt.name) == opt.default, opt.name


def test_pio_values_are_parsed_to_typed_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINYML_DATASETS_DIR", raising=False)
    cfg = config_from_pio(
        {
            "custom_tinyml_model": "mnist_lenet",
            "custom_tinyml_epochs": "3",
            "custom_tinyml_images": "100",
            "custom_tinyml_image_format": "1BPP",
            "custom_tinyml_model_address": "0x90000000",
            "custom_tinyml_model_section": "qspi",
            "custom_tinyml_labels": "zero, one",
            "custom_tinyml_arena_margin": "10%",
            "custom_tinyml_runtime": "AOT",
            "platform": "ststm32",  # not ours: ignored
        }
    )
    assert cfg.model == "mnist_lenet"
    assert cfg.epochs == 3
    assert cfg.images == 100
    assert cfg.image_format == "1bpp"
    assert cfg.model_address == 0x90000000
    assert cfg.model_section == ".qspi_model"
    assert cfg.labels == ("zero", "one")
    assert cfg.arena_margin == ArenaMargin(percent=10.0)
    assert cfg.runtime == "aot"


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("custom_tinyml_imagez", "5", "did you mean 'custom_tinyml_images'"),
        (
            "custom_tinyml_images",
            "ten",
            "custom_tinyml_images 'ten' is not a whole number",
        ),
        ("custom_tinyml_images", "-1", "out of range"),
        (
            "custom_tinyml_image_format",
            "bmp",
            "is not one of 1bpp, uint8, int8, rgb565",
        ),
        ("custom_tinyml_quantization", "dynamic", "TFLM cannot allocate them"),
        ("custom_tinyml_model_sha256", "abc", "not a sha256"),
        ("custom_tinyml_model_section", "flash", "not a known placement"),
        ("custom_tinyml_arena_margin", "lots", "not a byte count or a percentage"),
        ("custom_tinyml_labels", "a,,b", "empty class name"),
        ("custom_tinyml_epochs", "0", "out of range"),
        ("custom_tinyml_runtime", "tvm", "is not one of auto, aot, tflm"),
        ("custom_tinyml_input_range", "0..100", "mean=M,std=S in pixel units"),
        ("custom_tinyml_input_range", "mean=1,2,3,std=4", "one mean and std"),
        ("custom_tinyml_input_range", "mean=0,std=0", "std must be positive"),
    ],
)
def test_bad_values_name_the_option_and_the_fix(
    key: str, value: str, fragment: str
) -> None:
    with pytest.raises(ConfigError, match=fragment) as info:
        config_from_pio({key: value})
    assert "\n" not in str(info.value)


def test_environment_variables_fill_unset_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TINYML_DATASETS_DIR", str(tmp_path))
    assert parse_options({}).datasets_dir == tmp_path
    explicit = parse_options({"datasets_dir": "/elsewhere"})
    assert explicit.datasets_dir == Path("/elsewhere")
    assert parse_options({}, use_env=False).datasets_dir is None


@pytest.mark.parametrize(
    ("margin", "measured", "expected"),
    [
        (ArenaMargin(bytes=0), 4688, 4688),
        (ArenaMargin(bytes=0), 4689, 4704),
        (ArenaMargin(bytes=512), 4688, 5200),
        (ArenaMargin(percent=10), 4688, 5168),  # 4688 + 469 = 5157 -> 5168
    ],
)
def test_arena_margin_rounds_up_to_16(
    margin: ArenaMargin, measured: int, expected: int
) -> None:
    assert margin.apply(measured) == expected
    assert expected % 16 == 0 and expected >= measured


def test_fingerprint_changes_with_any_option() -> None:
    base = TinyMLConfig()
    assert base.fingerprint() == TinyMLConfig().fingerprint()
    assert base.fingerprint() != base.replace(images=11).fingerprint()
    assert (
        base.fingerprint()
        != base.replace(arena_margin=ArenaMargin(bytes=513)).fingerprint()
    )


def test_config_file_tinyml_section(tmp_path: Path) -> None:
    ini = tmp_path / "tinyml.ini"
    ini.write_text("[tinyml]\nmodel = mnist_lenet\nimages = 4\n")
    raw = load_config_file(ini)
    assert parse_options(raw).images == 4


def test_config_file_platformio_ini_env(tmp_path: Path) -> None:
    ini = tmp_path / "platformio.ini"
    ini.write_text(
        "[env]\ncustom_tinyml_images = 3\n\n"
        "[env:qemu]\ncustom_tinyml_image_format = rgb565\nboard = mps2_an500\n"
    )
    cfg = parse_options(load_config_file(ini, env="qemu"))
    assert (cfg.images, cfg.image_format) == (3, "rgb565")
    with pytest.raises(ConfigError, match=r"no \[env:board\] section"):
        load_config_file(ini, env="board")


def test_config_file_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config_file(tmp_path / "missing.ini")
    bad = tmp_path / "bad.ini"
    bad.write_text("no section header\n")
    with pytest.raises(ConfigError, match="is not valid INI"):
        load_config_file(bad)


def test_prefix_is_the_platformio_custom_namespace() -> None:
    # PlatformIO warns about options outside custom_/board_.
    assert PIO_PREFIX.startswith("custom_")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("auto", None),
        ("", None),
        ("0..255", "0..255"),
        (" -1..1 ", "-1..1"),
        ("mean=127.5,std=127.5", "-1..1"),  # the same convention, spelled out
        ("mean=120, std=60", "mean=120,std=60"),
    ],
)
def test_input_range_values(raw: str, expected: str | None) -> None:
    cfg = config_from_pio({"custom_tinyml_input_range": raw})
    assert (None if cfg.input_range is None else str(cfg.input_range)) == expected
    assert cfg.to_dict()["input_range"] == expected


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("cifar10_resnet8", "cifar10"),  # an architecture (and shipped weights)
        ("cifar10_resnet8_mirror", "cifar10"),  # a shipped model only
        ("mlperf_resnet8", "cifar10"),  # a pinned upstream model
        ("mnist_lenet5", "mnist"),
        ("models/own.tflite", "mnist"),  # not a zoo name: the option's default
    ],
)
def test_an_unset_dataset_follows_the_zoo_model(model: str, expected: str) -> None:
    assert parse_options({"model": model}, use_env=False).dataset == expected
    cfg = config_from_pio({"custom_tinyml_model": model})
    assert cfg.dataset == expected


def test_a_given_dataset_wins_over_the_zoo_model() -> None:
    cfg = parse_options({"model": "cifar10_resnet8", "dataset": "folder:pics"})
    assert cfg.dataset == "folder:pics"
