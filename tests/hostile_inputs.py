"""Hostile park files for the command line's bounds: an alias bomb, big and long parks.

Each is made here from the bundled demo-small file with plain YAML/JSON, not through the
park reader under test. Used by tests/test_cli_hostile.py and bench/reliability_table.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml

DEMO_SMALL = Path(__file__).resolve().parent.parent / "assets" / "parks" / "demo-small.yaml"

LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip([None, *"abcdefgh"], "abcdefghi", strict=True)
)


def big_park(buildings: int, suffix: str, folder: Path) -> Path:
    """A valid park of `buildings` extra 40-corner buildings (an independent generator)."""
    park = yaml.safe_load(DEMO_SMALL.read_text())
    template = park["buildings"][0]
    for i in range(buildings):
        x, y = 2000 + (i % 100) * 200.0, 2000 + (i // 100) * 200.0
        corners = [[round(x + 40 * math.cos(k * math.pi / 20), 3),
                    round(y + 40 * math.sin(k * math.pi / 20), 3)] for k in range(40)]  # fmt: skip
        park["buildings"].append({**template, "id": f"b{i}", "footprint": corners})
    path = folder / f"big{suffix}"
    dumped = json.dumps(park) if suffix == ".json" else yaml.safe_dump(park, width=200)
    path.write_text(dumped)
    return path


def many(kind: str, count: int, folder: Path) -> Path:
    """demo-small with `count` copies of its first item of `kind` (a JSON park)."""
    park = yaml.safe_load(DEMO_SMALL.read_text())
    section = park["logistics"] if kind == "flows" else park
    first = section[kind][0]
    section[kind] = [{**first, "id": f"x{i}"} for i in range(count)]
    path = folder / f"many-{kind}.json"
    path.write_text(json.dumps(park))
    return path
