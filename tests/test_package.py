# SPDX-License-Identifier: Apache-2.0
"""Package-wide import rules: every module imports alone, and imports form no cycle."""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import platformio_tinyml

PACKAGE = "platformio_tinyml"
PACKAGE_DIR = Path(platformio_tinyml.__file__).resolve().parent
# Imported only inside the functions that need them (docs/design.md).
HEAVY = ("tensorflow", "tflite_micro", "matplotlib", "keras")
# Modules that need an optional extra at import time, and that extra's module.
NEEDS = {f"{PACKAGE}.pio.test_runner": "platformio"}


def _modules() -> list[str]:
    names = [PACKAGE]
    for info in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix=PACKAGE + "."):
        names.append(info.name)
    return sorted(names)


def _path_of(module: str) -> Path:
    rel = Path(*module.split(".")[1:])
    package = PACKAGE_DIR / rel / "__init__.py"
    return package if package.is_file() else (PACKAGE_DIR / rel).with_suffix(".py")


def test_module_list_is_complete() -> None:
    files = {p for p in PACKAGE_DIR.rglob("*.py")}
    assert files == {_path_of(m) for m in _modules()}


@pytest.mark.parametrize("module", _modules())
def test_module_imports_alone_without_heavy_dependencies(module: str) -> None:
    needed = NEEDS.get(module)
    if needed and importlib.util.find_spec(needed) is None:
        pytest.skip(f"{module} needs '{needed}' (the [pio] extra), not installed")
    code = (
        "import sys, importlib\n"
        f"importlib.import_module({module!r})\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr.strip().splitlines()[-1:]
    assert proc.stdout.strip() == "", f"{module} imports {proc.stdout.strip()}"


# --- Import graph ----------------------------------------------------------------


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, modules: set[str]) -> set[str]:
    """Package modules that ``module`` imports anywhere (functions included).

    Imports under ``if TYPE_CHECKING:`` never run and are left out.
    """
    path = _path_of(module)
    is_package = path.name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base[: len(base) - node.level + 1]
                target = ".".join(parts + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in modules:
                    found.add(sub)
                elif target in modules:
                    found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found - {module}


def import_graph() -> dict[str, set[str]]:
    """module -> package modules it imports. The root ``__init__`` (the curated,
    lazily re-exported API, allowed to import everything) is left out."""
    modules = set(_modules())
    graph = {m: _imports(m, modules) - {PACKAGE} for m in modules if m != PACKAGE}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def test_cycle_finder_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_lazy_imports() -> None:
    graph = import_graph()
    # pipeline imports its stages inside functions; codegen depends on images.
    assert f"{PACKAGE}.training" in graph[f"{PACKAGE}.pipeline"]
    assert f"{PACKAGE}.images" in graph[f"{PACKAGE}.codegen.image_data"]


def test_package_imports_have_no_cycle() -> None:
    assert find_cycles(import_graph()) == []
