"""The package's import graph: no module-level cycles, and the stages import only upstream.

A frame travels video -> detect -> zones -> track -> events -> store -> api
(docs: STYLE.md, "The shape of the package"); alarms/ is the sensor side and
may use events and store. A cycle, or a stage reaching downstream, makes a
module impossible to change (or import) on its own, so this test reads every
module with `ast` (nothing is imported) and fails naming the offending edge.
Function-local imports count in both checks (a lazy import hides a loop, it
does not break it); imports under ``if TYPE_CHECKING:`` never run, so they are
left out of the cycle check but count as a dependency in the stage check.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lanewatch"
STAGES = ["video", "detect", "zones", "track", "events", "store", "api"]
ALLOWED_EXTRA = {"alarms": {"events", "store"}}  # the sensor side, beside the frame's journey


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, module: str) -> set[str]:
    """The lanewatch modules an import statement loads (``from pkg import sub`` names the submodule)."""
    if isinstance(node, ast.Import):
        names = {alias.name for alias in node.names}
    else:
        base = node.module or ""
        if node.level:
            package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        names = {f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names}
    return {n for n in names if n in MODULES}


def imports(module: str, *, type_checking: bool) -> set[str]:
    """Modules of lanewatch that `module` imports anywhere in it (with or without ``if TYPE_CHECKING:`` blocks)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    hidden: set[int] = set()  # the import statements under `if TYPE_CHECKING:`
    if not type_checking:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and _is_type_checking(node):
                hidden.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in hidden:
            found.update(_targets(node, module))
    found.discard(module)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return groups


def test_cycle_finder_finds_a_planted_cycle() -> None:
    """The checker itself: a two-module loop and a three-module loop are found, a chain is not."""
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"g"}, "g": set()}
    assert sorted(cycles(graph)) == [["a", "b"], ["c", "d", "e"]]


def test_no_import_cycle_inside_lanewatch() -> None:
    """A function-local import still closes a loop (it only hides it until the call), so it counts."""
    graph = {m: imports(m, type_checking=False) for m in MODULES}
    assert cycles(graph) == []


@pytest.mark.parametrize("stage", STAGES + sorted(ALLOWED_EXTRA))
def test_a_stage_imports_nothing_downstream(stage: str) -> None:
    if stage in STAGES:
        # alarms/ builds on events and store, so only api/ (which serves everything) may use it
        forbidden = set(STAGES[STAGES.index(stage) + 1 :]) | ({"alarms"} if stage != "api" else set())
    else:
        forbidden = set(STAGES) - ALLOWED_EXTRA[stage]
    offending = sorted(
        f"{m} -> {t}"
        for m in MODULES
        if m.split(".")[1:2] == [stage]
        for t in imports(m, type_checking=True)
        if t.split(".")[1:2] and t.split(".")[1] in forbidden
    )
    assert offending == [], f"{stage}/ reaches downstream"
