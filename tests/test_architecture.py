"""The house plan, checked: the import graph of ``biasinherit`` has layers and no cycles.

Every import counts: those inside functions (a late import is still a dependency) and those
under ``if TYPE_CHECKING:`` (an annotation that names a module depends on it). Three rules:

- no cycles between modules;
- no module imports a higher layer (``LAYERS``, lowest first);
- no module imports another package's underscore module (a package's ``__init__`` is its face).

``python tests/test_architecture.py`` prints the counts.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = "biasinherit"

# Lowest first. A module belongs to the first entry that is it or contains it.
LAYERS: list[tuple[str, list[str]]] = [
    (
        "utilities",
        ["__init__", "errors", "files", "paths", "registry", "settings", "text", "_yaml"],
    ),
    (
        "domain",
        [
            "bias",
            "data",
            "stats",
            "device",
            "modelfiles",
            "shapes",
            "preflight",
            "models",
            "cells",
            "rundir",
        ],
    ),  # fmt: skip
    ("stages", ["generate", "analyze", "mix", "train", "evaluate", "calibration", "serve"]),
    ("run", ["config", "layout"]),
    ("results", ["analysis", "report"]),
    ("orchestration", ["runner", "executors", "status", "costs", "sizes"]),
    ("entry points", ["cli", "__main__"]),
]


def modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package ``__init__``)."""
    out = {}
    for path in sorted((SRC / PKG).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


def _resolve(name: str, mods: dict) -> str | None:
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def imports(mods: dict) -> dict[str, set[str]]:
    """Module -> the project modules it imports (top level, late and for type checking)."""
    graph: dict[str, set[str]] = {}
    for mod, (path, is_pkg) in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    here = here[: len(here) - node.level + 1]
                    base = ".".join(here + ([node.module] if node.module else []))
                # "from pkg import name" imports pkg, and pkg.name where that is a module
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                target = _resolve(name, mods) if name.startswith(PKG) else None
                if target and target != mod:
                    found.add(target)
        graph[mod] = found
    return graph


def layer_of(mod: str) -> int:
    rest = mod.split(".")[1:] or ["__init__"]
    for i, (_, members) in enumerate(LAYERS):
        if rest[0] in members:
            return i
    raise AssertionError(f"{mod} is in no layer: add it to LAYERS in {Path(__file__).name}")


def package_of(mod: str, mods: dict) -> str:
    """The package a module belongs to: ``biasinherit.<pkg>``, or ``biasinherit`` for a
    top-level module."""
    parts = mod.split(".")
    if len(parts) == 2 and not mods[mod][1]:
        return PKG
    return ".".join(parts[:2])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def upward(graph: dict[str, set[str]]) -> list[str]:
    return [
        f"{m} ({LAYERS[layer_of(m)][0]}) imports {t} ({LAYERS[layer_of(t)][0]})"
        for m in sorted(graph)
        for t in sorted(graph[m])
        if layer_of(t) > layer_of(m)
    ]


def private(graph: dict[str, set[str]], mods: dict) -> list[str]:
    return [
        f"{m} imports {t}"
        for m in sorted(graph)
        for t in sorted(graph[m])
        if t.rpartition(".")[2].startswith("_")
        and not mods[t][1]
        and package_of(t, mods) != package_of(m, mods)
    ]


MODS = modules()
GRAPH = imports(MODS)


def test_every_module_has_a_layer():
    for mod in MODS:
        layer_of(mod)


def test_no_import_cycles():
    assert cycles(GRAPH) == []


def test_no_module_imports_a_higher_layer():
    assert upward(GRAPH) == []


def test_no_import_of_another_packages_underscore_module():
    assert private(GRAPH, MODS) == []


def test_the_checker_sees_violations():
    """The rules catch what they are for (so a passing run means something)."""
    g = {"biasinherit.files": {"biasinherit.runner"}, "biasinherit.runner": {"biasinherit.files"}}
    assert cycles(g) == [["biasinherit.files", "biasinherit.runner"]]
    assert upward(g) == ["biasinherit.files (utilities) imports biasinherit.runner (orchestration)"]
    bad = {"biasinherit.cli": {"biasinherit.report._report"}}
    assert private(bad, MODS) == ["biasinherit.cli imports biasinherit.report._report"]
    # the real graph has late imports: they are seen (cli imports nearly everything late)
    assert {"biasinherit.runner", "biasinherit.report"} <= GRAPH["biasinherit.cli"]


if __name__ == "__main__":
    n_imports = sum(len(v) for v in GRAPH.values())
    print(f"{len(MODS)} modules, {n_imports} imports between them, {len(LAYERS)} layers")
    for name, check in (
        ("cycles", cycles(GRAPH)),
        ("upward imports", upward(GRAPH)),
        ("underscore imports across packages", private(GRAPH, MODS)),
    ):
        print(f"{name}: {len(check)}")
        for item in check:
            print(f"  {item}")
