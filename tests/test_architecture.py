"""The module stack of docs/architecture.md, checked on the source.

- every module of twin/, viz/, web/, console/ and cli.py has a layer (:data:`LAYERS`), and no
  import goes up the stack;
- the imports make no cycle;
- no function-local import of a twin module in twin/, and in viz/ and web/ only the listed
  ones (:data:`LAZY_INTERNAL`); lazy imports of third-party libraries only of the heavy ones
  (:data:`LAZY_HEAVY`); cli.py and console/ may import anything lazily (``parktwin --help``
  stays fast);
- twin imports no viz, cli, console, web, typer, rich, argparse, pyvista, vtk or web framework,
  and the MQTT client and SQLite only in twin.live;
- twin has no command line in it: no flag (``"--days"``) in its code, no signal handler;
- docs/architecture.md's stack table names the same layers;
- no two public functions or classes of twin/, viz/ and web/ share a name for different things.

Imports under ``if TYPE_CHECKING:`` are annotations, not dependencies, and are left out.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

LAYERS: dict[str, int] = {
    # 1. the base: errors, named random streams, numbers as text, statistics
    "twin.errors": 1,
    "twin.rng": 1,
    "twin.text": 1,
    "twin.language": 1,
    "twin.stats": 1,
    "twin.t_quantiles": 1,
    # 2. the park as data: file models and what they mean (pure: no files, no clocks)
    "twin.model": 2,
    # 3. files in and out
    "twin.io": 3,
    # 4. the engine: trace, start state, one module per family, KPIs, the composition root
    "twin.sim": 4,
    # 5. experiments: settings, runner, backends, results, comparison, sweeps
    "twin.experiment": 5,
    # 6. fitting and the live twin
    "twin.calibration": 6,
    "twin.live": 6,
    # 7. reports: the page and chart toolkit, then each report
    "twin.reports": 7,
    # 8. the API and the package facade
    "twin.api": 8,
    "twin": 8,
    # 9. the edges: 3D views, the web page, the command line and its helpers
    "viz": 9,
    "web": 9,
    "console": 9,
    "cli": 9,
}
"""Module (or package prefix) -> layer, bottom 1 to top 12. The longest prefix wins; ``twin``
itself is the facade only, so a new twin module must be listed."""

LAZY_INTERNAL: dict[tuple[str, str], str] = {
    ("viz", "viz.offscreen"): "PyVista and VTK load on the first render, not on `import viz`",
    ("viz", "viz.interactive"): "PyVista and VTK load on the first show",
    ("web", "web.server"): "the web framework loads when `parktwin serve` starts",
    ("web.threed", "viz.offscreen"): "PyVista loads only in the worker that draws the page",
}
"""The function-local imports of our own modules that are allowed, and why."""

LAZY_HEAVY = (
    "scipy",
    "pandas",
    "distributed",
    "PIL",
    "imageio_ffmpeg",
    "matplotlib",
    "trame_pyvista",
    "trame_vtk",
    "vtkmodules",
    "optuna",  # the search of large decision spaces only
    "importlib.metadata",  # the facade's __version__ only: `import twin` stays light
    "power_grid_model",  # the load-flow solver, an optional extra (`power`)
    "pandapower",
)
"""Third-party libraries that may be imported inside a function (they are slow to import)."""

FORBIDDEN_IN_TWIN = (
    "viz",
    "cli",
    "console",
    "web",
    "typer",
    "click",
    "rich",
    "argparse",
    "pyvista",
    "vtk",
    "vtkmodules",
)
FRAMEWORKS = ("starlette", "fastapi", "uvicorn", "flask", "aiohttp")
LIVE_ONLY = ("paho", "sqlite3")
POWER_SOLVERS = ("power_grid_model", "pandapower", "py_dss_interface", "opendssdirect")
POWER_SOLVER_HOME = ("twin.sim.loadflow",)
"""The power-flow engines (optional extras) are imported by one module of ours only."""


@dataclass(frozen=True)
class Import:
    """One import statement: who, what, where in the file, and whether inside a function."""

    source: str
    target: str
    line: int
    local: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    files = [REPO / "cli.py"]
    for package in ("twin", "viz", "web", "console"):
        files += sorted((REPO / package).rglob("*.py"))
    return {_module_name(p): p for p in files if "_bundled" not in p.parts}


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports_of(name: str, path: Path, modules: set[str]) -> list[Import]:
    """Every import of the file outside ``if TYPE_CHECKING:``, resolved to modules."""
    found: list[Import] = []

    def visit(node: ast.AST, local: bool) -> None:
        if _is_type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.extend(Import(name, a.name, node.lineno, local) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                target = sub if sub in modules else node.module
                found.append(Import(name, target, node.lineno, local))
        inside = local or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


@pytest.fixture(scope="module")
def graph() -> tuple[dict[str, Path], list[Import]]:
    sources = _sources()
    modules = set(sources)
    imports = [imp for name, path in sources.items() for imp in _imports_of(name, path, modules)]
    return sources, imports


def _layer(module: str) -> int | None:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix == "twin" and module != "twin":
            continue  # the facade is not a prefix
        layer = LAYERS.get(prefix)
        if layer is not None:
            return layer
    return None


def _internal(module: str) -> bool:
    return module == "cli" or module.split(".")[0] in ("twin", "viz", "web", "console")


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_every_module_has_a_layer(graph) -> None:
    sources, _ = graph
    missing = sorted(m for m in sources if _layer(m) is None)
    assert not missing, (
        f"modules without a layer: {missing}; add them to LAYERS in tests/test_architecture.py "
        "and to the stack table of docs/architecture.md"
    )


def test_no_import_goes_up_the_stack(graph) -> None:
    _, imports = graph
    upward = [
        f"{i.source} (layer {_layer(i.source)}) imports {i.target} (layer {_layer(i.target)}) "
        f"at line {i.line}"
        for i in imports
        if _internal(i.target)
        and not i.local
        and (_layer(i.target) or 0) > (_layer(i.source) or 0)
        and not i.source.startswith(i.target + ".")  # a package's own __init__
    ]
    assert not upward, "\n".join(upward)


def test_the_imports_make_no_cycle(graph) -> None:
    sources, imports = graph
    edges: dict[str, set[str]] = {m: set() for m in sources}
    for i in imports:
        if i.target in sources and i.target != i.source and not i.source.startswith(i.target + "."):
            edges[i.source].add(i.target)
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(sources):
        if module not in state and (cycle := walk(module)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_function_local_imports_are_only_the_listed_lazy_ones(graph) -> None:
    _, imports = graph
    wrong = []
    for i in imports:
        if not i.local or _under(i.source, ("cli", "console")):
            continue
        if _internal(i.target):
            allowed = i.source.split(".")[0] != "twin" and any(
                i.source == src and _under(i.target, (dst,)) for src, dst in LAZY_INTERNAL
            )
        else:
            allowed = _under(i.target, LAZY_HEAVY)
        if not allowed:
            wrong.append(f"{i.source} line {i.line}: function-local import of {i.target}")
    assert not wrong, "\n".join(wrong) + "\n(import at the top, or list it with its reason)"


def test_twin_stays_away_from_the_edges(graph) -> None:
    _, imports = graph
    wrong = [
        f"{i.source} line {i.line} imports {i.target}"
        for i in imports
        if i.source.split(".")[0] == "twin"
        and (
            _under(i.target, FORBIDDEN_IN_TWIN + FRAMEWORKS)
            or (_under(i.target, LIVE_ONLY) and not _under(i.source, ("twin.live",)))
        )
    ]
    assert not wrong, "\n".join(wrong)


def test_power_solvers_only_in_the_load_flow_module(graph) -> None:
    _, imports = graph
    wrong = [
        f"{i.source} line {i.line} imports {i.target}"
        for i in imports
        if _under(i.target, POWER_SOLVERS) and not _under(i.source, POWER_SOLVER_HOME)
    ]
    assert not wrong, "\n".join(wrong) + "\n(power-flow engines belong in twin.sim.loadflow)"


FLAG = re.compile(r"(?<![\w-])--[a-z]")
"""A command-line flag in a text: ``--days``, not ``---|`` nor ``a--b``."""


def command_line_in(code: str) -> list[str]:
    """Where `code` has a command line: a flag in a text that is not a docstring, a call of
    ``signal.signal``, or an import of a command-line library."""
    tree = ast.parse(code)
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and FLAG.search(node.value):
                found.append(f"line {line}: a flag in {node.value[:60]!r}")
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in ("signal.signal", "signal"):
            found.append(f"line {line}: {ast.unparse(node)[:60]} installs a signal handler")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for name in names:
                if _under(name or "", ("typer", "click", "rich", "argparse")):
                    found.append(f"line {line}: imports {name}")
    return found


def test_the_library_has_no_command_line() -> None:
    """Flags, signal handlers, typer, rich and argparse live in cli.py and console/, not twin/."""
    wrong = [
        f"{path.relative_to(REPO)} {where}"
        for path in sorted((REPO / "twin").rglob("*.py"))
        for where in command_line_in(path.read_text(encoding="utf-8"))
    ]
    assert not wrong, "\n".join(wrong) + "\n(name parameters by their Python names in backquotes)"


def test_the_command_line_check_can_fail() -> None:
    code = (
        '"""Docs may say --days."""\nimport signal\nfrom rich.table import Table\nimport argparse\n'
        'def f(days):\n    """Like --days."""\n    signal.signal(signal.SIGINT, f)\n'
        '    raise ValueError(f"--days {days}: bad; see `days`")\nx = "|---|" + "a--b"\n'
    )
    found = command_line_in(code)
    assert [w.split(":")[0] for w in found] == ["line 3", "line 4", "line 7", "line 8"], found


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The helpers see what they must: an upward import, a local import, a cycle's parts."""
    code = "import twin.api\n\ndef f():\n    from twin.sim.kpi import compute_kpis\n"
    path = tmp_path / "probe_module.py"
    path.write_text(code, encoding="utf-8")
    found = _imports_of("twin.model.schema", path, {"twin.api", "twin.sim.kpi"})
    assert [(i.target, i.local) for i in found] == [("twin.api", False), ("twin.sim.kpi", True)]
    assert (_layer("twin.api") or 0) > (_layer("twin.model.schema") or 0)
    assert _layer("twin.calibration.fit_service") == LAYERS["twin.calibration"]
    assert _layer("twin.sim.families") == _layer("twin.sim.logistics") == LAYERS["twin.sim"]


def test_the_documented_stack_is_this_one() -> None:
    """Every module docs/architecture.md's stack table names sits in the layer it says."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| *(\d+) *\|(.*)$", text, flags=re.M)
    assert rows, "docs/architecture.md has no stack table"
    named = {}
    for layer, rest in rows:
        cells = rest.split("|")[0]
        for module in re.findall(r"`([a-z_.]+)`", cells):
            named[module] = int(layer)
    assert named, "the stack table names no modules"
    wrong = {m: (n, _layer(m)) for m, n in named.items() if _layer(m) != n}
    assert not wrong, f"docs say (layer, test says layer): {wrong}"
    assert set(LAYERS) <= set(named), f"not in the docs table: {sorted(set(LAYERS) - set(named))}"


NAMES_EXEMPT = {
    "cli": "each command function is named after its command (typer makes the command's name "
    "from it) and calls the library function of that name",
}
"""Modules left out of the one-name-one-thing check, and why."""


def _public_names(trees: dict[str, ast.Module]) -> dict[str, list[str]]:
    """Public top-level function and class name -> the modules that define it."""
    defined: dict[str, list[str]] = {}
    for module, tree in sorted(trees.items()):
        for node in tree.body:
            kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            if isinstance(node, kinds) and not node.name.startswith("_"):
                defined.setdefault(node.name, []).append(module)
    return defined


def _delegates(tree: ast.Module, name: str, target: str) -> bool:
    """Whether the function `name` of a module imports the same name from `target`: a lazy
    facade over it (``viz.render`` loading ``viz.offscreen.render``), not a second thing."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return any(
                isinstance(inner, ast.ImportFrom)
                and inner.module == target
                and any(alias.name == name for alias in inner.names)
                for inner in ast.walk(node)
            )
    return False


def name_clashes(trees: dict[str, ast.Module]) -> dict[str, list[str]]:
    """Public names defined in several modules for different things (facades excepted)."""
    clashes = {}
    for name, modules in _public_names(trees).items():
        things = [
            m for m in modules if not any(_delegates(trees[d], name, m) for d in modules if d != m)
        ]
        if len(things) > 1:
            clashes[name] = things
    return clashes


def test_no_two_public_functions_or_classes_share_a_name(graph) -> None:
    """One name, one thing: `resolve` the name rule and `find_places` a scenario path."""
    sources, _ = graph
    trees = {
        module: ast.parse(path.read_text(encoding="utf-8"))
        for module, path in sources.items()
        if module not in NAMES_EXEMPT
    }
    assert not name_clashes(trees), "public names defined twice: rename one (keep the facade's)"


def test_the_name_check_can_fail() -> None:
    """Two `Route` classes clash; a facade that loads its namesake lazily does not."""
    trees = {
        "twin.a": ast.parse("class Route: ...\ndef show(): ...\n"),
        "twin.b": ast.parse("class Route: ...\ndef _private(): ...\n"),
        "viz": ast.parse("def show():\n    from twin.a import show as s\n    return s()\n"),
        "web": ast.parse("def _private(): ...\n"),
    }
    assert name_clashes(trees) == {"Route": ["twin.a", "twin.b"]}
