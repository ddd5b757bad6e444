# SPDX-License-Identifier: Apache-2.0
"""The HTML report: figures of test images, confusion, per-layer cost and memory budget.

``collect_report_data`` runs the (cached) pipeline and the host TFLM interpreter;
``render_report`` turns the data into PNG figures (matplotlib) and one HTML page, as
pure data; ``write_report`` writes them.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import __version__
from ._deps import require
from .boards import MemoryBudget
from .config import TinyMLConfig
from .fileio import GeneratedFile, write_files

if TYPE_CHECKING:
    from .model_info import ModelInfo
    from .pipeline import GenerationResult

_DTYPE_BYTES = {"int8": 1, "uint8": 1, "int16": 2, "float32": 4, "int32": 4}
_GRID_MAX = 25


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the figures and the page show."""

    result: GenerationResult
    info: ModelInfo
    class_names: tuple[str, ...]
    images: npt.NDArray[np.uint8]  # (N, H, W, C) test images as shown
    labels: npt.NDArray[np.int64]
    predictions: npt.NDArray[np.int64]
    confusion: npt.NDArray[np.int64]  # (K, K): rows true, columns predicted
    budget: MemoryBudget | None


def collect_report_data(
    cfg: TinyMLConfig,
    *,
    work_dir: Path,
    cache_dir: Path,
    base_dir: Path | None = None,
    budget: MemoryBudget | None = None,
) -> ReportData:
    """Run the cached pipeline, then classify test images with the host TFLM."""
    from .datasets import load_dataset, sample_test_split
    from .images import select_test_images
    from .model_info import read_model
    from .pipeline import generate, resolve_paths
    from .preprocessing import resolve_input_range, to_model_input
    from .verification import run_tflm

    cfg = resolve_paths(cfg, base_dir or Path.cwd())
    result = generate(cfg, work_dir / "generated-src", cache_dir=cache_dir)
    tflite = result.tflite_path.read_bytes()
    info = read_model(tflite, source=result.model_source)
    shape = info.input.shape
    dataset = load_dataset(
        cfg.dataset,
        datasets_dir=cfg.datasets_dir,
        image_size=(shape[1], shape[2]),
        channels=shape[3],
    )
    count = min(max(cfg.images, 1), _GRID_MAX, len(dataset.x_test))
    images, labels = select_test_images(dataset, count, seed=cfg.seed)
    sample = sample_test_split(dataset, cfg.verify_samples)
    x_eval, y_eval = sample.x_test, sample.y_test

    input_range, _how = resolve_input_range(
        cfg.input_range, info.input.dtype, info.input.scale, info.input.zero_point
    )

    def predict(x: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
        inputs = to_model_input(
            x,
            info.input.dtype,
            info.input.scale or 0.0,
            info.input.zero_point or 0,
            input_range,
        )
        out = run_tflm(tflite, inputs)
        return np.asarray(np.argmax(out.reshape(len(x), -1), axis=1), dtype=np.int64)

    k = len(result.labels)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y_eval.astype(np.int64), predict(x_eval)), 1)
    return ReportData(
        result=result,
        info=info,
        class_names=result.labels,
        images=images,
        labels=labels.astype(np.int64),
        predictions=predict(images),
        confusion=confusion,
        budget=budget,
    )


# --- Figures -----------------------------------------------------------------------


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    require("matplotlib.pyplot").close(fig)
    return buf.getvalue()


def _figure_images(data: ReportData, plt: Any) -> bytes:
    n = len(data.images)
    cols = min(n, 5)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2 * cols, 2.2 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, ax in enumerate(axes.flat[:n]):
        img = data.images[i]
        ax.imshow(
            img[..., 0] if img.shape[-1] == 1 else img,
            cmap="gray",
            vmin=0,
            vmax=255,
            interpolation="nearest",
        )
        pred, true = int(data.predictions[i]), int(data.labels[i])
        ok = pred == true
        ax.set_title(
            f"{data.class_names[pred]} / {data.class_names[true]}",
            color="green" if ok else "red",
            fontsize=9,
        )
    fig.suptitle("Test images: predicted / true (host TFLM)")
    return _png(fig)


def _figure_confusion(data: ReportData, plt: Any) -> bytes:
    k = len(data.class_names)
    fig, ax = plt.subplots(figsize=(1 + 0.55 * k, 1 + 0.5 * k))
    ax.imshow(data.confusion, cmap="Blues")
    ax.set_xticks(range(k), data.class_names, rotation=45, ha="right")
    ax.set_yticks(range(k), data.class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    peak = data.confusion.max() or 1
    for i in range(k):
        for j in range(k):
            value = int(data.confusion[i, j])
            if value:
                ax.text(
                    j,
                    i,
                    str(value),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value > peak / 2 else "black",
                )
    total = int(data.confusion.sum())
    correct = int(np.trace(data.confusion))
    ax.set_title(f"Confusion matrix: {correct}/{total} correct")
    return _png(fig)


def layer_costs(info: ModelInfo) -> list[tuple[str, int, int]]:
    """(label, MACs, activation bytes written) per op, in execution order."""
    elem = _DTYPE_BYTES.get(info.input.dtype, 4)
    rows = []
    for op in info.ops:
        act = sum(int(np.prod(shape)) for shape in op.output_shapes) * elem
        rows.append((f"{op.index}:{op.name}", op.macs, act))
    return rows


def _figure_layers(data: ReportData, plt: Any) -> bytes:
    rows = layer_costs(data.info)
    labels = [r[0] for r in rows]
    fig, (ax1, ax2) = plt.subplots(
        2, 1, figsize=(max(6, 0.5 * len(rows)), 6), sharex=True
    )
    ax1.bar(labels, [r[1] for r in rows], color="tab:blue")
    ax1.set_ylabel("MACs")
    ax1.set_title(f"Per layer: {data.info.macs:,} MACs in total")
    ax2.bar(labels, [r[2] for r in rows], color="tab:orange")
    ax2.set_ylabel("activation bytes")
    ax2.tick_params(axis="x", rotation=60)
    return _png(fig)


_OVER_COLOR = "tab:red"


def _figure_budget(budget: MemoryBudget, plt: Any) -> bytes:
    """Stacked bars per memory; any share over 100% is red, as is its label."""
    fig, ax = plt.subplots(figsize=(9, 2.6))
    model_label = "model (external, not counted)" if budget.model_external else "model"
    bars = [
        (
            "flash",
            budget.flash_limit,
            [
                (
                    model_label,
                    0 if budget.model_external else budget.model_bytes,
                    "tab:blue",
                ),
                (
                    "code" if budget.measured else "code (estimate)",
                    budget.code_bytes,
                    "tab:green",
                ),
            ],
        ),
        (
            "RAM",
            budget.ram_limit,
            [
                ("arena", budget.arena_bytes, "tab:orange"),
                (
                    "other RAM" if budget.measured else "other RAM (estimate)",
                    budget.other_ram_bytes,
                    "tab:purple",
                ),
            ],
        ),
    ]
    right = 130.0
    for y, (_name, limit, parts) in enumerate(bars):
        left = 0.0
        for label, size, color in parts:
            share = 100.0 * size / limit if limit else 0.0
            ax.barh(y, share, left=left, color=color, edgecolor="white", label=label)
            left += share
        over = left > 100.0
        if over:  # the part beyond the board's capacity, in red
            ax.barh(
                y,
                left - 100.0,
                left=100.0,
                color=_OVER_COLOR,
                edgecolor="white",
                label="over capacity",
            )
        ax.text(
            left + 1,
            y,
            f"{left:.1f}% of {limit:,} B" + (": OVER BUDGET" if over else ""),
            va="center",
            fontsize=8,
            color=_OVER_COLOR if over else "black",
            fontweight="bold" if over else "normal",
        )
        right = max(right, left + 45.0)
    ax.set_yticks(range(len(bars)), [b[0] for b in bars])
    ax.set_xlim(0, right)
    ax.axvline(100, color=_OVER_COLOR, linewidth=1)
    ax.set_xlabel("% of the board's capacity")
    ax.set_title(f"Memory budget on {budget.board}")
    # Beside the axes, so it can never cover a bar or its label.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    return _png(fig)


def render_report(data: ReportData) -> list[GeneratedFile]:
    """PNG figures and ``report.html`` (pure: returns file contents)."""
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    plt = require("matplotlib.pyplot")
    figures = {
        "images.png": _figure_images(data, plt),
        "confusion.png": _figure_confusion(data, plt),
        "layers.png": _figure_layers(data, plt),
    }
    if data.budget is not None:
        figures["budget.png"] = _figure_budget(data.budget, plt)
    files = [GeneratedFile(PurePosixPath(name), png) for name, png in figures.items()]
    files.append(GeneratedFile.text("report.html", _render_html(data, list(figures))))
    return files


def _render_html(data: ReportData, figures: list[str]) -> str:
    r = data.result
    esc = html.escape
    acc = "n/a" if r.accuracy is None else f"{r.accuracy * 100:.2f}%"
    facc = "n/a" if r.float_accuracy is None else f"{r.float_accuracy * 100:.2f}%"
    if r.float_accuracy is not None and r.float_accuracy_note:
        facc += f" ({r.float_accuracy_note})"
    rows = [
        ("model", r.model_source),
        ("model bytes", f"{r.model_bytes:,}"),
        ("MACs per inference", f"{r.macs:,}"),
        (
            "tensor arena",
            f"{r.arena_size:,} B (host TFLM measured {r.measured_arena:,} B)",
        ),
        ("ops", ", ".join(r.ops)),
        ("accuracy (int8, host TFLM)", f"{acc} on {r.verify_samples} test images"),
        ("accuracy (float)", facc),
        ("dataset", r.dataset or "n/a"),
    ]
    if r.bit_exact_fraction is not None:
        rows.append(
            ("TFLM vs tf.lite", f"{r.bit_exact_fraction * 100:.2f}% rows bit-exact")
        )
    if data.budget is not None:
        b = data.budget
        rows.append(("flash", f"{b.flash_used:,} / {b.flash_limit:,} B"))
        rows.append(("RAM", f"{b.ram_used:,} / {b.ram_limit:,} B"))
        rows += [("OVER BUDGET", line) for line in b.over_budget()]
    table = "\n".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    layer_rows = "\n".join(
        f"<tr><td>{esc(name)}</td><td>{macs:,}</td><td>{act:,}</td></tr>"
        for name, macs, act in layer_costs(data.info)
    )
    imgs = "\n".join(f'<p><img src="{esc(f)}" alt="{esc(f)}"></p>' for f in figures)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>tinyml report: {esc(r.stem)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
table{{border-collapse:collapse}}th,td{{border:1px solid #ccc;padding:.2em .6em;
text-align:left}}img{{max-width:100%}}</style></head>
<body>
<h1>tinyml report: {esc(r.stem)}</h1>
<p>Generated by platformio_tinyml {esc(__version__)}.</p>
<table>
{table}
</table>
<h2>Figures</h2>
{imgs}
<h2>Layers</h2>
<table><tr><th>op</th><th>MACs</th><th>activation bytes</th></tr>
{layer_rows}
</table>
</body></html>
"""


def write_report(
    cfg: TinyMLConfig,
    out_dir: Path,
    *,
    cache_dir: Path,
    base_dir: Path | None = None,
    budget: MemoryBudget | None = None,
) -> Path:
    """Run the pipeline, render the report into ``out_dir``; return report.html."""
    data = collect_report_data(
        cfg, work_dir=out_dir, cache_dir=cache_dir, base_dir=base_dir, budget=budget
    )
    write_files(out_dir, render_report(data))
    return out_dir / "report.html"
