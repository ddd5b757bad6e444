# SPDX-License-Identifier: Apache-2.0
"""Run firmware in QEMU mps2-an500 (Cortex-M7) and count its instructions."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import DependencyError, TinyMLError
from .fileio import file_lock

__all__ = [
    "InsnCount",
    "QemuError",
    "QemuRun",
    "build_insncount_plugin",
    "count_instructions",
    "marker_addresses",
    "qemu_command",
    "run_firmware",
]

QEMU = "qemu-system-arm"
NM = "arm-none-eabi-nm"
MARKER_SYMBOLS = ("insn_region_start", "insn_region_stop", "insn_mark")
PLUGIN_SOURCE = Path(__file__).resolve().parent / "data" / "insncount.c"
_QEMU_PACKAGE = "qemu-system-arm"
_APT_ETC = Path("/etc/apt")
_LINE_RE = re.compile(r"^insncount: (total|region\[(\d+)\]|mark\[(\d+)\])=(\d+)")


def source_entries(apt_etc: Path) -> tuple[str, str]:
    """``deb-src`` twins of the machine's enabled apt sources.

    Returns the one-line-style list and the deb822 text. Only source lists are written
    to a private directory, so the system's apt configuration is never touched.
    """
    lines = []
    for path in [
        apt_etc / "sources.list",
        *sorted(apt_etc.glob("sources.list.d/*.list")),
    ]:
        if path.is_file():
            for line in path.read_text(errors="replace").splitlines():
                if line.strip().startswith("deb "):
                    lines.append("deb-src " + line.strip()[4:])
    stanzas = []
    for path in sorted(apt_etc.glob("sources.list.d/*.sources")):
        for stanza in path.read_text(errors="replace").split("\n\n"):
            if re.search(r"^Types:.*\bdeb\b", stanza, re.M) and not re.search(
                r"^Enabled:\s*no", stanza, re.M | re.I
            ):
                stanzas.append(
                    re.sub(r"^Types:.*$", "Types: deb-src", stanza, flags=re.M)
                )
    return "\n".join(lines) + "\n", "\n\n".join(s.strip() for s in stanzas) + "\n"


class QemuError(TinyMLError):
    """Firmware did not run to completion in QEMU (timeout, crash, bad ELF)."""


@dataclass(frozen=True)
class QemuRun:
    """The outcome of one QEMU run: the exit status is ``main()``'s return value."""

    returncode: int
    stdout: str


@dataclass(frozen=True)
class InsnCount:
    """Guest instructions counted by the insncount plugin.

    ``regions`` holds one count per ``insn_region_start()``..``insn_region_stop()``
    pair; ``marks`` holds the running total at each ``insn_mark()`` call.
    """

    total: int
    regions: tuple[int, ...]
    marks: tuple[int, ...]
    returncode: int = 0
    stdout: str = ""


def qemu_command(
    elf: Path, extra_args: Sequence[str] = (), *, serial: str = "null"
) -> list[str]:
    """The QEMU command line that runs ``elf`` with semihosting on mps2-an500.

    ``serial`` is the backend of UART0 (e.g. ``tcp:127.0.0.1:PORT``).
    """
    return [
        QEMU,
        "-M",
        "mps2-an500",
        "-nographic",
        "-monitor",
        "none",
        "-serial",
        serial,
        "-semihosting-config",
        "enable=on,target=native",
        *extra_args,
        "-kernel",
        str(elf),
    ]


def _require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise DependencyError(
            f"'{name}' is not on PATH; install it with: apt-get install {package}"
        )
    return path


def run_firmware(
    elf: Path,
    *,
    timeout: float = 120.0,
    extra_args: Sequence[str] = (),
    cwd: Path | None = None,
) -> QemuRun:
    """Run ``elf`` in QEMU mps2-an500 until it exits.

    Args:
        elf: A firmware image built for the ``tinyml-qemu-m7`` platform.
        timeout: Seconds before QEMU is killed.
        extra_args: More QEMU arguments (e.g. ``-icount shift=0``, ``-plugin ...``).
        cwd: where files the firmware opens through semihosting land.

    Returns:
        QEMU's exit status (``main()``'s return value; 99 for a HardFault) and the
        semihosting stdout.

    Raises:
        DependencyError: qemu-system-arm is not installed.
        QemuError: The ELF is missing or the firmware ran past ``timeout``.
    """
    _require_tool(QEMU, "qemu-system-arm")
    elf = Path(elf).resolve()  # QEMU may run in another directory (cwd)
    if not elf.is_file():
        raise QemuError(
            f"firmware '{elf}' does not exist; build it with 'pio run' first"
        )
    try:
        proc = subprocess.run(
            qemu_command(elf, extra_args),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired as exc:
        raise QemuError(
            f"firmware '{elf}' did not exit within {timeout:.0f} s in QEMU; "
            "check that main() returns, or raise the timeout"
        ) from exc
    return QemuRun(returncode=proc.returncode, stdout=proc.stdout)


def marker_addresses(elf: Path) -> dict[str, int]:
    """Addresses of the instruction-count marker functions in ``elf`` (via nm)."""
    nm = _require_tool(NM, "binutils-arm-none-eabi")
    proc = subprocess.run([nm, str(elf)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise QemuError(
            f"'{NM}' cannot read '{elf}': {proc.stderr.strip()}; pass an ARM ELF file"
        )
    found: dict[str, int] = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in MARKER_SYMBOLS:
            found[parts[2]] = int(parts[0], 16)
    return found


def _parse_counts(text: str) -> tuple[int, list[int], list[int]]:
    total = -1
    regions: dict[int, int] = {}
    marks: dict[int, int] = {}
    for line in text.splitlines():
        m = _LINE_RE.match(line)
        if not m:
            continue
        value = int(m.group(4))
        if m.group(1) == "total":
            total = value
        elif m.group(2) is not None:
            regions[int(m.group(2))] = value
        else:
            marks[int(m.group(3))] = value
    return (
        total,
        [regions[i] for i in sorted(regions)],
        [marks[i] for i in sorted(marks)],
    )


def count_instructions(
    elf: Path,
    *,
    plugin: Path,
    timeout: float = 600.0,
    extra_args: Sequence[str] = (),
) -> InsnCount:
    """Run ``elf`` in QEMU with the insncount plugin and return exact counts.

    Args:
        elf: Firmware that calls ``insn_region_start/stop`` (and ``insn_mark``).
        plugin: The plugin built by :func:`build_insncount_plugin`.
        timeout: Seconds before QEMU is killed.
        extra_args: More QEMU arguments.

    Returns:
        Total, per-region and per-mark instruction counts, plus the run's output.

    Raises:
        QemuError: The ELF has no marker functions, or the plugin wrote no counts.
    """
    addrs = marker_addresses(Path(elf))
    missing = [s for s in MARKER_SYMBOLS[:2] if s not in addrs]
    if missing:
        raise QemuError(
            f"firmware '{elf}' has no '{missing[0]}' symbol; build it for the "
            "tinyml-qemu-m7 platform, whose startup defines the marker functions"
        )
    with tempfile.TemporaryDirectory(prefix="tinyml-insncount-") as tmp:
        out = Path(tmp) / "counts.txt"
        args = [
            f"start={addrs['insn_region_start']:#x}",
            f"stop={addrs['insn_region_stop']:#x}",
        ]
        if "insn_mark" in addrs:
            args.append(f"mark={addrs['insn_mark']:#x}")
        args.append(f"out={out}")
        run = run_firmware(
            Path(elf),
            timeout=timeout,
            extra_args=["-plugin", ",".join([str(plugin), *args]), *extra_args],
        )
        text = out.read_text() if out.is_file() else ""
    total, regions, marks = _parse_counts(text)
    if total < 0:
        raise QemuError(
            f"the insncount plugin '{plugin}' wrote no counts for '{elf}' "
            f"(QEMU exit {run.returncode}); rebuild it with build_insncount_plugin()"
        )
    return InsnCount(
        total=total,
        regions=tuple(regions),
        marks=tuple(marks),
        returncode=run.returncode,
        stdout=run.stdout,
    )


# --- Plugin build ---


def _installed_qemu_version() -> str:
    dpkg = _require_tool("dpkg-query", "dpkg")
    proc = subprocess.run(
        [dpkg, "-W", "-f=${Version}", _QEMU_PACKAGE],
        capture_output=True,
        text=True,
        check=False,
    )
    version = proc.stdout.strip()
    if proc.returncode != 0 or not version:
        raise DependencyError(
            f"Debian package '{_QEMU_PACKAGE}' is not installed; install it with: "
            f"apt-get install {_QEMU_PACKAGE}"
        )
    return version


def source_version(binary_version: str) -> str:
    """The Debian source version of a binary version (binNMU ``+bN`` dropped)."""
    return re.sub(r"\+b\d+$", "", binary_version)


def _fetch_plugin_header(cache_dir: Path, version: str) -> Path:
    """Download QEMU's source package once and keep only ``qemu-plugin.h``."""
    header = (
        cache_dir
        / f"qemu-{source_version(version).replace(':', '_')}"
        / "qemu-plugin.h"
    )
    if header.is_file():
        return header
    apt = _require_tool("apt-get", "apt")
    work = Path(tempfile.mkdtemp(prefix="aptsrc-", dir=cache_dir))
    try:
        (work / "lists/partial").mkdir(parents=True)
        (work / "cache/archives/partial").mkdir(parents=True)
        one_line, deb822 = source_entries(_APT_ETC)
        (work / "src.list").write_text(one_line)
        (work / "parts").mkdir()
        (work / "parts" / "src.sources").write_text(deb822)
        opts = [
            f"-o=Dir::Etc::sourcelist={work / 'src.list'}",
            f"-o=Dir::Etc::sourceparts={work / 'parts'}",
            f"-o=Dir::State::Lists={work / 'lists'}",
            f"-o=Dir::Cache={work / 'cache'}",
            "-o=APT::Sandbox::User=root",
        ]
        steps = (
            [apt, *opts, "-q", "update"],
            [
                apt,
                *opts,
                "-q",
                "source",
                "--download-only",
                f"qemu={source_version(version)}",
            ],
        )
        for cmd in steps:
            proc = subprocess.run(
                cmd, cwd=work, capture_output=True, text=True, check=False
            )
            if proc.returncode != 0:
                tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                raise DependencyError(
                    f"cannot download the QEMU source package 'qemu={version}' "
                    f"({tail}); check access to the Debian archive or put "
                    f"qemu-plugin.h at '{header}'"
                )
        tarballs = sorted(work.glob("qemu_*.orig.tar.*"))
        if not tarballs:
            raise DependencyError(
                f"the QEMU source package 'qemu={version}' has no orig tarball; "
                f"put qemu-plugin.h at '{header}'"
            )
        with tarfile.open(tarballs[0]) as tar:
            member = next(
                (m for m in tar if m.name.endswith("/include/qemu/qemu-plugin.h")), None
            )
            fp = tar.extractfile(member) if member is not None else None
            if fp is None:
                raise DependencyError(
                    f"'{tarballs[0].name}' contains no include/qemu/qemu-plugin.h; "
                    f"put the header at '{header}'"
                )
            data = fp.read()
        header.parent.mkdir(parents=True, exist_ok=True)
        tmp = header.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, header)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return header


def build_insncount_plugin(cache_dir: Path) -> Path:
    """Build (once) the insncount plugin for the installed QEMU and return its path.

    ``qemu-plugin.h`` comes from the Debian source package of the installed
    ``qemu-system-arm`` (Debian ships neither plugins nor the header). Only the header
    and the compiled ``.so`` stay in ``cache_dir``.

    Args:
        cache_dir: Where the header and the plugin are cached.

    Returns:
        Path of ``insncount-<hash>.so``.

    Raises:
        DependencyError: QEMU, gcc, apt-get or the network is unavailable, or the
            plugin source is not in this checkout.
    """
    if not PLUGIN_SOURCE.is_file():
        raise DependencyError(
            f"plugin source '{PLUGIN_SOURCE}' is missing; use a source checkout of "
            "platformio-tinyml"
        )
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    version = _installed_qemu_version()
    with file_lock(cache_dir / "insncount.lock"):
        header = _fetch_plugin_header(cache_dir, version)
        source = PLUGIN_SOURCE.read_bytes()
        key = hashlib.sha256(
            source + header.read_bytes() + version.encode()
        ).hexdigest()
        plugin = cache_dir / f"insncount-{key[:12]}.so"
        if plugin.is_file():
            return plugin
        cc = _require_tool("gcc", "gcc")
        tmp = plugin.with_suffix(".tmp.so")
        proc = subprocess.run(
            [
                cc,
                "-O2",
                "-Wall",
                "-shared",
                "-fPIC",
                f"-I{header.parent}",
                str(PLUGIN_SOURCE),
                "-o",
                str(tmp),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            first = (proc.stderr.strip().splitlines() or ["no output"])[0]
            raise DependencyError(
                f"cannot compile '{PLUGIN_SOURCE.name}' against '{header}': {first}; "
                "install gcc or update the plugin for this QEMU version"
            )
        os.replace(tmp, plugin)
    return plugin
