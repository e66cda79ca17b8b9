"""What starting up loads: `parktwin --help` and `import twin` stay light, a run loads no more
than a run needs.

Each check runs the real entry point in a fresh interpreter and lists the modules loaded when it
exits (what was imported, not how long it took: timings belong to bench/bench_startup.py).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from console import startup
from console.startup import YOUNG_THRESHOLD

REPO = Path(__file__).resolve().parent.parent

LIGHT = ("numpy", "scipy", "pydantic", "rich", "simpy", "yaml", "pandas")
"""Libraries that neither `parktwin --help` nor `import twin` may load."""

NOT_FOR_A_RUN = (
    "twin.api.analyses",
    "twin.api.decisions",
    "twin.api.live",
    "twin.calibration",
    "twin.live",
    "twin.experiment.optimize",
    "twin.model.problem",
    "twin.experiment.comparison",
    "twin.experiment.sweeps",
    "web",
    "viz",
    "scipy",
    "pyvista",
    "matplotlib",
    "dask",
    "distributed",
    "numpy.ma",
    "rich._emoji_codes",
)
"""What `parktwin run` has no use for: other commands' code, the live twin, the page, 3D, and
what other libraries load only for features a run does not use (masked arrays, emoji)."""


def _at_exit(code: str, tmp_path: Path, what: str, env: dict[str, str] | None = None) -> Any:
    """The value of the expression `what` when `code` exits (run in a fresh interpreter from
    the repository, with `env` for its environment)."""
    listing = tmp_path / "at_exit.json"
    write = f"open({str(listing)!r}, 'w').write(json.dumps({what}))"
    hook = f"import atexit, gc, json, os, sys\natexit.register(lambda: {write})\n"
    done = subprocess.run(
        [sys.executable, "-c", hook + code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(listing.read_text())


def _modules_at_exit(code: str, tmp_path: Path) -> set[str]:
    """The modules loaded when `code` exits."""
    return set(_at_exit(code, tmp_path, "list(sys.modules)"))


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def _command(*args: str) -> str:
    return f"sys.argv = ['parktwin', *{list(args)!r}]\nfrom cli import main\nmain()\n"


def test_help_loads_no_numpy_pydantic_or_rich(tmp_path: Path) -> None:
    modules = _modules_at_exit(_command("--help"), tmp_path)
    assert "cli" in modules
    assert _loaded(modules, LIGHT) == []


def test_import_twin_loads_no_numpy_pydantic_or_rich(tmp_path: Path) -> None:
    modules = _modules_at_exit("import twin\n", tmp_path)
    assert "twin" in modules
    assert _loaded(modules, LIGHT) == []


def test_a_run_loads_no_other_commands_live_twin_page_or_3d(tmp_path: Path) -> None:
    out = tmp_path / "result"
    args = ("run", "demo-small", "--days", "0.05", "-r", "3", "--warmup", "0", "--out", str(out))
    modules = _modules_at_exit(_command(*args), tmp_path)
    assert {"twin.sim.engine", "twin.reports.run"} <= modules  # it did simulate and report
    assert (out / "report.md").is_file()
    assert _loaded(modules, NOT_FOR_A_RUN) == []


def _process_at_exit(tmp_path: Path, env: dict[str, str]) -> dict[str, Any]:
    """The collector and the libraries' settings when a `parktwin validate` process exits."""
    state = (
        "{'enabled': gc.isenabled(), 'frozen': gc.get_freeze_count(),"
        " 'young': gc.get_threshold()[0], 'plugins': os.environ.get('PYDANTIC_DISABLE_PLUGINS'),"
        " 'blas': os.environ.get('OPENBLAS_THREAD_TIMEOUT')}"
    )
    answer: dict[str, Any] = _at_exit(_command("validate", "demo-small"), tmp_path, state, env)
    return answer


def test_a_command_collects_garbage_and_spares_the_plugin_search(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in startup.SETTINGS}
    state = _process_at_exit(tmp_path, env)
    assert state["enabled"] is True  # paused while starting, on again for the command's work
    assert isinstance(state["frozen"], int) and state["frozen"] > 10_000
    assert state["young"] == YOUNG_THRESHOLD
    assert (state["plugins"], state["blas"]) == ("__all__", "4")


def test_a_users_own_settings_are_kept(tmp_path: Path) -> None:
    for plugins, blas in (("", "30"), ("logfire", "")):
        env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": plugins, "OPENBLAS_THREAD_TIMEOUT": blas}
        state = _process_at_exit(tmp_path, env)
        assert (state["plugins"], state["blas"]) == (plugins, blas)


def test_a_command_called_in_process_leaves_the_collector_alone() -> None:
    before = gc.isenabled(), gc.get_freeze_count(), gc.get_threshold()
    startup.settle()
    assert (gc.isenabled(), gc.get_freeze_count(), gc.get_threshold()) == before
