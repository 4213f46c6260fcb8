"""The package import graph has no cycles and the library never imports the CLI.

The graph is built from the source with ``ast``: module-level and function-level imports
both count (a lazy import is still a dependency), imports under ``if TYPE_CHECKING:`` do
not (they never run). A violation that lives in code being changed by another piece of
work is listed in ``PENDING`` with who fixes it; the test fails when a pending entry is
already fixed, so the list only shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("conformance", "migrate", "schemas")
CLI = "conformance.cli"

# Violation -> who fixes it and why it is not fixed here. Keys are either a module that
# imports the CLI ("library->cli: <module>") or a cycle ("cycle: a -> b -> a", written
# from its alphabetically smallest module).
PENDING: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[module_name(path)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, skipping the bodies of ``if TYPE_CHECKING:`` blocks."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _import_module_literal(node: ast.AST) -> str | None:
    """The module of ``importlib.import_module("a.b")`` with a literal name: an import too."""
    if not (isinstance(node, ast.Call) and node.args):
        return None
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    first = node.args[0]
    if called == "import_module" and isinstance(first, ast.Constant):
        return first.value if isinstance(first.value, str) else None
    return None


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``PACKAGES`` that ``name`` imports at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in modules else base)
        elif literal := _import_module_literal(node):
            targets.add(literal)
    found: set[str] = set()
    for target in targets:
        # "import a.b.c" of a module not in the graph: credit its nearest known parent.
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = source_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of size > 1 are cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def _one_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest cycle through the component's smallest module, for the message."""
    members = set(component)
    start = component[0]
    paths: dict[str, list[str]] = {start: [start]}
    frontier = [start]
    while frontier:
        next_frontier: list[str] = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    return [*paths[node], start]
                if child not in paths:
                    paths[child] = [*paths[node], child]
                    next_frontier.append(child)
        frontier = next_frontier
    raise AssertionError(f"component without a cycle: {component}")


def violations(graph: dict[str, set[str]]) -> dict[str, str]:
    """Every violation as ``key -> detail``; keys match the form used by ``PENDING``."""
    found: dict[str, str] = {}
    for component in _strongly_connected(graph):
        cycle = _one_cycle(graph, component)
        found["cycle: " + " -> ".join(cycle)] = f"strongly connected: {', '.join(component)}"
    for module, targets in sorted(graph.items()):
        if module == CLI or module.startswith(CLI + "."):
            continue
        bad = sorted(t for t in targets if t == CLI or t.startswith(CLI + "."))
        if bad:
            found[f"library->cli: {module}"] = f"imports {', '.join(bad)}"
    return found


def test_graph_sees_each_kind_of_import(tmp_path: Path) -> None:
    # Guards the parser: without it a blind graph would pass every check below.
    pkg = tmp_path / "conformance"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from .a import X\n", encoding="utf-8")
    (pkg / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "import conformance.b\n"
        "if TYPE_CHECKING:\n"
        "    from conformance import d\n"
        "def f():\n"
        "    from . import c\n"
        "    import importlib\n"
        "    importlib.import_module('conformance.e')\n",
        encoding="utf-8",
    )
    for name in "bcde":
        (pkg / f"{name}.py").write_text("", encoding="utf-8")
    modules = {
        "conformance": pkg / "__init__.py",
        **{f"conformance.{n}": pkg / f"{n}.py" for n in "abcde"},
    }
    assert imports_of("conformance", modules["conformance"], modules) == {"conformance.a"}
    assert imports_of("conformance.a", modules["conformance.a"], modules) == {
        "conformance.b",
        "conformance.c",
        "conformance.e",
    }


def test_real_graph_has_known_edges() -> None:
    graph = import_graph()
    assert "conformance.suite.session" in graph["conformance.suite.fixtures"]
    assert "conformance.exit_codes" in graph["conformance.cli.main"]
    assert "conformance.exit_codes" in graph["migrate.batch"]


def test_no_cycles_and_no_library_to_cli_imports() -> None:
    found = violations(import_graph())
    new = {key: detail for key, detail in found.items() if key not in PENDING}
    assert not new, "import-graph violations:\n" + "\n".join(
        f"  {key}  ({detail})" for key, detail in sorted(new.items())
    )


def test_pending_entries_are_still_violations() -> None:
    found = violations(import_graph())
    fixed = sorted(key for key in PENDING if key not in found)
    assert not fixed, "fixed; remove from PENDING: " + ", ".join(fixed)


def test_detects_a_cycle_and_a_cli_import() -> None:
    graph = {
        "conformance.a": {"conformance.b"},
        "conformance.b": {"conformance.a", "conformance.cli.exit_codes"},
        "conformance.cli.exit_codes": set(),
    }
    assert set(violations(graph)) == {
        "cycle: conformance.a -> conformance.b -> conformance.a",
        "library->cli: conformance.b",
    }
