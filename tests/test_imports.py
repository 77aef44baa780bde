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
from dataclasses import dataclass
from functools import cache
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
# What a lazy import may put off: HEAVY, the other libraries that take a noticeable share of a
# second to import, and the optional extras.
DEFERRABLE = (*HEAVY, "google", "httpx", "jinja2", "jsonschema", "msgspec", "rich", "sentry_sdk")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    line: int
    target: str  # an ioncli module, or the dotted name of anything else
    where: str  # "top", "function" or "type_checking"


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


def _targets(node: ast.Import | ast.ImportFrom, package: str, known: set[str]) -> Iterator[str]:
    """What an import statement loads: `from pkg import mod` names `pkg.mod`, and an ioncli
    name that is no module (a class, a function) names the module that defines it."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([node.module] if node.module else [])])
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    for dotted in names:
        if dotted.split(".")[0] != "ioncli":
            yield dotted
            continue
        name = dotted
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name:
            yield name


def _scan(node: ast.AST, where: str) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _scan(child, "function")
        elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            yield from _scan(child, "type_checking" if where == "top" else where)
        elif isinstance(child, ast.Import | ast.ImportFrom):
            yield child, where
        else:
            yield from _scan(child, where)


@cache
def imports() -> tuple[Import, ...]:
    """Every import statement in ioncli/, one entry per module it loads."""
    modules = _modules()
    known = set(modules)
    found = []
    for name, (path, package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node, where in _scan(tree, "top"):
            found += [
                Import(name, node.lineno, t, where)
                for t in _targets(node, package, known)
                if t != name
            ]
    return tuple(found)


def import_graph(entries: tuple[Import, ...]) -> Graph:
    graph: Graph = {name: set() for name in _modules()}
    for entry in entries:
        if entry.target in graph:
            graph[entry.module].add(entry.target)
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


def test_ioncli_has_no_import_cycles() -> None:
    found = cycles(import_graph(imports()))
    listed = "\n".join(" <-> ".join(c) for c in found)
    assert found == [], f"import cycles (each module reaches the others, maybe lazily):\n{listed}"


def test_the_cycle_check_sees_lazy_and_type_checking_imports() -> None:
    graph: Graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    source = """
import json
def f():
    from ioncli.serve import http
if TYPE_CHECKING:
    import ioncli.errors
"""
    known = {"ioncli.serve.http", "ioncli.errors", "ioncli.serve"}
    found = {
        (t, where)
        for node, where in _scan(ast.parse(source), "top")
        for t in _targets(node, "ioncli.serve", known)
    }
    assert found == {
        ("json", "top"),
        ("ioncli.serve.http", "function"),
        ("ioncli.errors", "type_checking"),
    }


def _loads(entries: tuple[Import, ...]) -> dict[str, set[str]]:
    """Module -> the deferrable libraries importing it loads (its top-level imports, followed)."""
    top: dict[str, set[str]] = {}
    for e in entries:
        if e.where == "top":
            top.setdefault(e.module, set()).add(e.target)
    out: dict[str, set[str]] = {}

    def visit(name: str) -> set[str]:
        if name not in out:
            out[name] = set()  # a cycle's second visit adds nothing
            found = set()
            for target in top.get(name, ()):
                if target.startswith("ioncli"):
                    found |= visit(target)
                elif target.startswith(DEFERRABLE):
                    found.add(next(d for d in DEFERRABLE if target.startswith(d)))
            out[name] = found
        return out[name]

    for name in _modules():
        visit(name)
    return out


def test_imports_inside_functions_put_off_something_heavy() -> None:
    """An import goes at the top of its module unless importing it there would slow down
    `ion --help` or the command that loads the module: the standard library and ioncli.errors
    never qualify; the modules `ion --help` loads (cli.py, commands/, the render helpers it
    needs) may put off any other ioncli module, but not one `ion --help` loads anyway;
    anywhere else a lazy import must load a library from DEFERRABLE that the module does not
    already load."""
    entries = imports()
    loads = _loads(entries)
    # A tolerated cycle (above) is held open by its lazy imports: they stay until it is gone.
    cyclic = {m: tuple(c) for c in cycles(import_graph(entries)) for m in c}
    # What `ion --help` imports: the top-level closure of the CLI module.
    on_help = {"ioncli.cli"}
    changed = True
    while changed:
        before = len(on_help)
        on_help |= {
            e.target
            for e in entries
            if e.where == "top" and e.module in on_help and e.target.startswith("ioncli")
        }
        changed = len(on_help) != before
    wrong = []
    for e in entries:
        if e.where != "function":
            continue
        root = e.target.split(".")[0]
        if root in sys.stdlib_module_names or e.target == "ioncli.errors":
            wrong.append(f"{e.module}:{e.line} imports {e.target} inside a function")
        elif e.module in on_help and e.target in on_help:
            wrong.append(f"{e.module}:{e.line} puts off {e.target}, which `ion --help` loads")
        elif (e.module in on_help and root == "ioncli") or e.target in cyclic.get(e.module, ()):
            continue
        else:
            gained = (
                loads[e.target]
                if root == "ioncli"
                else {d for d in DEFERRABLE if e.target.startswith(d)}
            ) - loads[e.module]
            if not gained:
                wrong.append(f"{e.module}:{e.line} puts off {e.target}, which loads nothing heavy")
    assert wrong == [], "move these imports to the top of their module:\n" + "\n".join(wrong)
