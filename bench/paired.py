"""Paired rounds for the engine benches: the code under test against a baseline, same run.

A :class:`Worker` is a process running :mod:`engine_worker` with `twin` imported from one
source tree: this checkout, or a baseline checkout given with ``--base`` (for example
``git worktree add /tmp/base main``). Rounds alternate which arm goes first, and ratios are
taken within a round, so the load of a shared machine cancels out; the median over rounds is
reported.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TREE = HERE.parent


class Worker:
    """An engine worker process importing `twin` from `tree`."""

    def __init__(self, tree: Path = TREE) -> None:
        env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{HERE}"}
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "engine_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        ready = self._read()
        imported = Path(ready["ready"]).resolve()
        if not imported.is_relative_to(Path(tree).resolve()):
            raise RuntimeError(f"the worker for {tree} imported twin from {imported}")

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the bench worker stopped (see its error above)")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def send(self, task: str, **arguments: Any) -> None:
        """Start one task in the worker (its answer is read by :meth:`receive`)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"task": task, **arguments}) + "\n")
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        """The answer of the task last sent."""
        return self._read()

    def ask(self, task: str, **arguments: Any) -> dict[str, Any]:
        """Run one task in the worker and return its answer."""
        self.send(task, **arguments)
        return self.receive()

    def close(self) -> None:
        """End the worker."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def once(tree: Path, task: str, **arguments: Any) -> dict[str, Any]:
    """One task in a fresh worker (its peak memory is that task's)."""
    worker = Worker(tree)
    try:
        return worker.ask(task, **arguments)
    finally:
        worker.close()


def paired_rounds(
    arms: dict[str, Callable[[int], dict[str, Any]]], rounds: int
) -> dict[str, list[dict[str, Any]]]:
    """Run every arm once per round (round r passes r, e.g. as the seed), order alternating."""
    names = list(arms)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            results[name].append(arms[name](r))
    return results


def median_ratio(top: Sequence[float], bottom: Sequence[float]) -> float:
    """The median over rounds of ``top[r] / bottom[r]``."""
    return statistics.median(a / b for a, b in zip(top, bottom, strict=True))


def rate(answers: Sequence[dict[str, Any]]) -> list[float]:
    """Trucks per second of each answer."""
    return [a["trucks"] / a["seconds"] for a in answers]


def base_tree(path: str | None) -> Path | None:
    """The baseline checkout given on the command line, checked."""
    if path is None:
        return None
    tree = Path(path).resolve()
    if not (tree / "twin" / "__init__.py").is_file():
        raise SystemExit(f"--base {path}: not a checkout of parktwin (no twin/__init__.py)")
    return tree
