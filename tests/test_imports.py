"""How `ioncli` imports: `ion --help` stays fast, and the import graph has no cycles.

`ion --help` must not import the heavy libraries. The import graph of `ioncli/` has no cycles,
counting every import a module makes: imports inside functions and under `if TYPE_CHECKING:`
are edges too, because a lazy import hides a cycle from Python but not from the reader, and the
next change that moves it to the top of the module turns it into an ImportError. Imports of a
parent package that Python does implicitly are not edges (importing `ioncli.sources.sim` runs
`ioncli/sources/__init__.py`, which imports its submodules only inside `open_source`).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HEAVY = ("pandas", "numpy", "grpc", "google.cloud", "pyarrow", "granian", "redis")

PROBE = """
import sys
from ioncli.cli import run
code = run({args!r})
heavy = sorted({{m.split('.')[0] if not m.startswith('google.cloud') else 'google.cloud'
                for m in sys.modules if m.startswith({heavy!r})}})
print('HEAVY=' + ','.join(heavy))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["dashboard", "--help"],
        ["serve", "--help"],
        ["tune-alerts", "--help"],
        ["cost-report", "--help"],
        ["--version"],
    ],
)
def test_help_imports_no_heavy_library(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        env={"NO_COLOR": "1", "PATH": ""},
    )
    line = [ln for ln in result.stdout.splitlines() if ln.startswith("HEAVY=")][-1]
    assert line == "HEAVY=", f"`ion {' '.join(args)}` imported {line[6:]}"


@pytest.mark.slow
def test_importing_the_cli_module_leaves_heavy_packages_out() -> None:
    code = f"import sys, ioncli.cli; print([m for m in sys.modules if m.startswith({HEAVY!r})])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


ROOT = Path(__file__).resolve().parent.parent / "ioncli"
Graph = dict[str, set[str]]  # module -> the ioncli modules it imports


def _modules() -> dict[str, tuple[Path, str]]:
    """Dotted module name -> (file, the package its relative imports start from)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
            package = ".".join(parts)
        else:
            package = ".".join(parts[:-1])
        found[".".join(parts)] = (path, package)
    return found


def _imported(node: ast.Import | ast.ImportFrom, package: str, known: set[str]) -> Iterator[str]:
    """The ioncli modules an import statement loads (`from pkg import mod` names `pkg.mod`)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([node.module] if node.module else [])])
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    for dotted in names:
        name = dotted
        while name and name not in known:  # `from ioncli.x import y` where y is no module
            name = name.rpartition(".")[0]
        if name:
            yield name


def import_graph() -> Graph:
    modules = _modules()
    known = set(modules)
    graph: Graph = {name: set() for name in modules}
    for name, (path, package) in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[name].update(t for t in _imported(node, package, known) if t != name)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


# Cycles still being taken apart elsewhere in issue 15 (the cost report's layout); only a cycle
# made of these packages' modules alone is tolerated. Remove an entry when its cycle is gone.
TOLERATED_PACKAGES = ("ioncli.cost.",)


def test_ioncli_has_no_import_cycles() -> None:
    found = [
        c
        for c in cycles(import_graph())
        if not any(all(m.startswith(p) for m in c) for p in TOLERATED_PACKAGES)
    ]
    assert found == [], (
        "import cycles (every module in each imports the others, maybe lazily):\n"
        + ("\n".join(" <-> ".join(c) for c in found))
    )


def test_the_cycle_check_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    graph: Graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    # Only ioncli modules are nodes, and a statement inside a function still counts.
    source = (
        "def f():\n    from ioncli.serve import http\nif TYPE_CHECKING:\n    import ioncli.errors\n"
    )
    tree = ast.parse(source)
    known = {"ioncli.serve.http", "ioncli.errors", "ioncli.serve"}
    targets = {
        t
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for t in _imported(node, "ioncli.serve", known)
    }
    assert targets == {"ioncli.serve.http", "ioncli.errors"}
