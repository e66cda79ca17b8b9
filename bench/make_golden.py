"""Write the golden kpis.json references that tests/test_golden.py compares against.

Run once from untouched code (``python bench/make_golden.py``); regenerate only when an issue
says the simulated numbers may change, and say so in the commit message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import twin

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "data" / "golden"

CASES: dict[str, tuple[str, str | None]] = {
    "yen-binh": ("yen-binh", None),
    "demo-small": ("demo-small", None),
    "yen-binh-substation-outage": ("yen-binh", "substation-outage"),
}
"""File stem -> (park, scenario): the default park, the small one and one with timed events."""

SETTINGS = {"days": 2.0, "warmup_days": 1.0, "seed": 7, "replications": 2}


def main() -> int:
    """Simulate every case and write its kpis.json document."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for stem, (park, scenario) in CASES.items():
        experiment = twin.run(park, scenario, twin.Settings(**SETTINGS))
        text = json.dumps(experiment.to_dict(), indent=1, sort_keys=True)
        (GOLDEN / f"{stem}.kpis.json").write_text(text + "\n", encoding="utf-8")
        print(stem, len(experiment.to_dict()["kpis"]), "KPIs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
