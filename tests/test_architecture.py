"""The house rules of ``monitor/`` (docs/decisions/0018-package-layout.md), checked on the
real import graph: no cycles, and a subpackage is used only through its ``__init__``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

MONITOR = Path(__file__).resolve().parents[1] / "monitor"
SUBPACKAGES = sorted(path.parent.name for path in MONITOR.glob("*/__init__.py"))


def _cycle(graph: grimp.ImportGraph) -> list[str] | None:
    """One import cycle of the graph (a path back to its start), else None; depth-first,
    in sorted order so the same graph always reports the same cycle."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> list[str] | None:
        path.append(module)
        on_path.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported in on_path:
                return [*path[path.index(imported) :], imported]
            if imported not in done and (found := visit(imported)):
                return found
        on_path.discard(path.pop())
        done.add(module)
        return None

    for module in sorted(graph.modules):
        if module not in done and (found := visit(module)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in (("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")):
        graph.add_import(importer=importer, imported=imported)
    assert _cycle(graph) == ["a", "b", "c", "a"]


def test_monitor_has_no_import_cycle_counting_type_checking_imports() -> None:
    graph = grimp.build_graph("monitor", exclude_type_checking_imports=False, cache_dir=None)
    assert _cycle(graph) is None


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)


def _reaching_inside(path: Path, own: str) -> Iterator[str]:
    """Imports in ``path`` (a module of subpackage ``own``) of another subpackage's modules
    rather than of the package."""
    for line, module in _imports(path):
        parts = module.split(".")
        if parts[0] == "monitor" and len(parts) > 2 and parts[1] != own:
            yield f"{path.name}:{line}: {module}"


def test_subpackages_are_used_only_through_their_package() -> None:
    found = [
        reach
        for package in SUBPACKAGES
        for path in sorted((MONITOR / package).rglob("*.py"))
        for reach in _reaching_inside(path, package)
    ]
    assert found == []


def test_the_layout_check_sees_a_reach_inside(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from monitor.store.sqlite.store import SqliteStore\n"
        "from monitor.store import Store\n"
        "from monitor.alerting.dispatch import Dispatcher\n",
        encoding="utf-8",
    )
    assert list(_reaching_inside(probe, "alerting")) == ["probe.py:1: monitor.store.sqlite.store"]


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_each_subpackage_says_what_it_owns(package: str) -> None:
    init = MONITOR / package / "__init__.py"
    docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    assert docstring, f"monitor/{package}/__init__.py needs a docstring"
    assert not docstring.startswith("TODO")
    assert len(docstring.splitlines()) <= 12, "a short docstring: what the subpackage owns"
