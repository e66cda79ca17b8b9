"""Run `parktwin ARGS` from a source tree and record when each phase of the command begins.

    python bench/startup_phases.py TREE MARKS_JSON ARGS...

A child of :mod:`bench_startup`. It imports `cli` from TREE and runs the command as the
console script would, with a few functions wrapped to note the time (``time.perf_counter``,
the system's monotonic clock, so the parent can set the marks against the moment it started
the process). A function is wrapped the moment its module has been executed, before any other
module can import it by name, so nothing is imported earlier or in another order than in a
plain run. The marks go to MARKS_JSON at exit: the first entry into or last exit from each
watched function, in seconds.
"""

from __future__ import annotations

import time

LAUNCHED = (time.perf_counter(), time.process_time())

import atexit  # noqa: E402
import functools  # noqa: E402
import importlib.abc  # noqa: E402
import importlib.machinery  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

WATCHED = {
    "twin.io.inputs": ("resolve_inputs",),
    "twin.sim.engine": ("run_engine",),
    "twin.reports.run": ("write_run",),
    "twin.io.result_folder": ("write_result",),
    "console.tables": ("print_kpis",),
}
"""Module → the functions whose first entry and last exit are marked."""

marks: dict[str, tuple[float, float]] = {"launched": LAUNCHED}
"""Mark → (wall clock, CPU time of this process), in seconds."""


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _watch(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, noting the first time it is entered and the last time it returns."""

    @functools.wraps(function)
    def watched(*args: Any, **kwargs: Any) -> Any:
        marks.setdefault(f"{name} enter", _now())
        try:
            return function(*args, **kwargs)
        finally:
            marks[f"{name} exit"] = _now()

    return watched


class _Loader(importlib.abc.Loader):
    """The real loader of a watched module, wrapping its functions once it has run."""

    def __init__(self, loader: Any, names: Sequence[str]) -> None:
        self.loader = loader
        self.names = names

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self.loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        for name in self.names:
            setattr(module, name, _watch(name, getattr(module, name)))


class _Finder(importlib.abc.MetaPathFinder):
    """Finds the watched modules as the path finder does and gives them a :class:`_Loader`."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in WATCHED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader, WATCHED[fullname])
        return spec


def _write(listing: Path) -> None:
    """Write the marks, and the moment the interpreter began to run its exit handlers."""
    listing.write_text(json.dumps({**marks, "atexit": _now()}))


def main() -> int:
    tree, listing = sys.argv[1], sys.argv[2]
    sys.path.insert(0, tree)
    sys.argv = ["parktwin", *sys.argv[3:]]
    sys.meta_path.insert(0, _Finder())
    atexit.register(_write, Path(listing))
    from cli import main as parktwin

    parktwin()
    return 0


if __name__ == "__main__":
    sys.exit(main())
