"""The traces a render or show command draws: a saved run and its comparison, and the warm-up.

`render --trace DIR --compare X` simulates the comparison with the saved run's replication and
step, and `--warmup auto` reaches the picture as the warm-up that `run` would choose.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
from tests.parks import one_dock_group
from twin.api import run
from twin.experiment.settings import Settings
from twin.io.dump import dump_park
from viz.options import RunSource
from viz.sources import traces_for


def test_compare_beside_a_saved_trace_uses_its_replication_and_step(tmp_path: Path) -> None:
    """`render --trace DIR --compare X` simulated replication 0 on the default step."""
    settings = Settings(days=1, warmup_days=0.5, seed=3, first_replication=2, step_min=30)
    run("demo-small", None, settings, out=tmp_path / "run")
    same = tmp_path / "same.yaml"
    same.write_text(
        "scenario: {name: same}\n"
        'changes:\n  - {scale: "logistics.flows[*].rate_per_hour", by: 1}\n',
        encoding="utf-8",
    )
    saved, beside = traces_for(RunSource(trace=tmp_path / "run", compare=str(same)))
    assert beside.meta["replication"] == saved.meta["replication"] == 2
    assert beside.meta["step_min"] == saved.meta["step_min"] == 30
    for column in ("arrive", "dock_start", "exit"):  # a scenario that changes nothing: same run
        np.testing.assert_array_equal(beside.trucks[column], saved.trucks[column])


def test_warmup_auto_in_render_is_the_warmup_run_chooses() -> None:
    """`render/show --warmup auto` silently became no warm-up."""
    park = one_dock_group(50, {"dist": "constant", "value": 600}, rate_per_hour=3)  # a ramp-up
    chosen = run(park, None, Settings(days=2, warmup_auto=True)).settings.warmup_days
    traces = traces_for(RunSource(park=park, days=2, warmup_days="auto"))
    assert traces[0].warmup_min == pytest.approx(chosen * 1440.0)
    assert chosen > 0


def test_render_passes_warmup_auto_through(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list = []
    monkeypatch.setattr(
        "viz.offscreen.render", lambda traces, out, *args: seen.append(traces) or Path(out)
    )
    park = tmp_path / "ramp.yaml"
    ramp = one_dock_group(50, {"dist": "constant", "value": 600}, rate_per_hour=3)
    park.write_text(dump_park(ramp), encoding="utf-8")
    out = str(tmp_path / "p.png")
    result = CliRunner().invoke(cli.app, ["render", str(park), "--out", out, "--warmup", "auto"])
    assert result.exit_code == 0, result.output
    assert seen and seen[0][0].warmup_min > 0
