"""Every example in examples/ runs as is, on a short horizon, and prints a result one can check.

Each example is run the way a reader runs it (``python examples/NAME.py`` from the repository
root) in a subprocess, with the environment variables the examples read to stay fast:
``PARKTWIN_EXAMPLE_DAYS`` (horizon), ``PARKTWIN_EXAMPLE_REPLICATIONS``, ``PARKTWIN_EXAMPLE_OUT``
(where files go), ``PARKTWIN_EXAMPLE_SEARCH`` and ``PARKTWIN_EXAMPLE_FRAMES_PER_MIN``. Every
example prints a line starting with ``result:``; the checks below read it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.stem for p in (REPO / "examples").glob("*.py") if p.stem != "__init__")
# The examples that take more than a few seconds run in the system tier; the rest by default.
EXAMPLE_MARKS = {
    "calibrate_and_compare": pytest.mark.system,
    "render_clip": [pytest.mark.render, pytest.mark.system],
    "size_docks": pytest.mark.system,
    "what_if": pytest.mark.system,
}
NUMBER = r"([+-]?[\d,]+(?:\.\d+)?)"


def number(text: str) -> float:
    return float(text.replace(",", ""))


def check_what_if(result: str, out: Path) -> None:
    match = re.search(
        rf"(\d+) docks instead of (\d+) at (\S+) change its mean wait by {NUMBER}", result
    )
    assert match, result
    assert int(match[1]) == int(match[2]) + 2


def check_size_docks(result: str, out: Path) -> None:
    match = re.search(r"result: (\d+) docks keep the mean wait", result)
    assert match or "no dock count" in result, result
    if match:
        assert 4 <= int(match[1]) <= 9


def check_ev_hub(result: str, out: Path) -> None:
    match = re.search(
        rf"park energy with the hub: {NUMBER} MWh \(the hub drew {NUMBER} MWh\)", result
    )
    assert match, result
    assert number(match[1]) == pytest.approx(number(match[2]), abs=0.011)
    assert number(match[2]) > 0


def check_cold_storage(result: str, out: Path) -> None:
    match = re.search(rf"chiller draw {NUMBER} MWh, and the whole park {NUMBER} MWh", result)
    assert match, result
    assert number(match[1]) == pytest.approx(number(match[2]), abs=0.011)
    assert number(match[1]) > 0  # more pallets in store, more cooling


def check_calibrate_and_compare(result: str, out: Path) -> None:
    match = re.search(r"park file ([\d.]+)%, fitted ([\d.]+)% \((\d+) values\)", result)
    assert match, result
    assert float(match[2]) < float(match[1])  # the fit is closer to the truth than the file
    assert int(match[3]) > 20


def check_render_clip(result: str, out: Path) -> None:
    match = re.search(r"wrote (\S+), (\d+) frames", result)
    assert match, result
    clip = Path(match[1].rstrip(","))
    assert clip.parent == out
    assert clip.stat().st_size > 10_000
    assert (out / "render_clip.png").stat().st_size > 10_000


CHECKS: dict[str, Callable[[str, Path], None]] = {
    "what_if": check_what_if,
    "size_docks": check_size_docks,
    "ev_hub": check_ev_hub,
    "cold_storage": check_cold_storage,
    "calibrate_and_compare": check_calibrate_and_compare,
    "render_clip": check_render_clip,
}


def test_every_example_has_a_check() -> None:
    assert sorted(CHECKS) == EXAMPLES


def _needs(name: str) -> None:
    if name == "render_clip":
        from viz.headless import offscreen_problem

        problem = offscreen_problem()
        if problem:
            pytest.skip(f"offscreen rendering is not available here: {problem}")


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=EXAMPLE_MARKS[n]) if n in EXAMPLE_MARKS else n for n in EXAMPLES],
)
def test_example_runs_and_prints_its_result(name: str, tmp_path: Path) -> None:
    _needs(name)
    env = {
        **os.environ,
        "PARKTWIN_EXAMPLE_DAYS": "1",
        "PARKTWIN_EXAMPLE_REPLICATIONS": "2",
        "PARKTWIN_EXAMPLE_OUT": str(tmp_path),
        "PARKTWIN_EXAMPLE_SEARCH": "0",
        "PARKTWIN_EXAMPLE_FRAMES_PER_MIN": "0.05",
    }
    proc = subprocess.run(
        [sys.executable, f"examples/{name}.py"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = [line for line in proc.stdout.splitlines() if line.startswith("result:")]
    assert len(results) == 1, proc.stdout
    CHECKS[name](results[0], tmp_path)
