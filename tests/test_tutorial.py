"""The "model your own park" tutorial: its commands run as written, in order, in a new folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TUTORIAL = REPO / "docs" / "tutorial-own-park.md"

pytestmark = pytest.mark.system


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_the_tutorial_has_commands_for_every_step() -> None:
    blocks = _bash_blocks(TUTORIAL.read_text(encoding="utf-8"))
    commands = " ".join(blocks)
    for command in ("validate", "run", "compare", "sweep", "render"):
        assert f"parktwin {command} " in commands, command


def test_the_tutorial_runs_as_written(tmp_path: Path) -> None:
    script = "set -euo pipefail\n" + "\n".join(_bash_blocks(TUTORIAL.read_text(encoding="utf-8")))
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    park = tmp_path / "my-park"
    assert "logistics.flows[1].dock_group" in proc.stdout + proc.stderr
    kpis = json.loads((park / "runs" / "base" / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["replications"] == 5
    assert "garment docks: mean wait" in proc.stdout
    comparison = json.loads((park / "runs" / "busy" / "comparison.json").read_text("utf-8"))
    assert comparison["scenarios"], comparison.keys()
    assert (park / "runs" / "docks" / "sweep.json").exists()
    png = (park / "park.png").read_bytes()
    assert png.startswith(b"\x89PNG")
