"""Write the golden references: kpis.json documents (tests/test_golden.py), and the state,
forecast and comparison documents that must stay byte for byte the same (SPEC.md).

The state documents are of the bundled yen-binh recording replayed into a store, at
:data:`STATE_MOMENTS` (tests/test_live_replay.py); the forecast is a small demo-small nowcast
with an alert (tests/test_nowcast.py); the comparison is demo-small against peak-season
(tests/test_compare.py).

Run once from untouched code (``python bench/make_golden.py``); regenerate only when an issue
says the simulated numbers may change, and say so in the commit message.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import twin
from twin.io.bundled import data_root
from twin.live.nowcast import nowcast
from twin.live.replay import replay_into_store
from twin.live.state import state_document
from twin.live.store import Store
from twin.sim.start_state import StartState

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "data" / "golden"

CASES: dict[str, tuple[str, str | None]] = {
    "yen-binh": ("yen-binh", None),
    "demo-small": ("demo-small", None),
    "yen-binh-substation-outage": ("yen-binh", "substation-outage"),
}
"""File stem -> (park, scenario): the default park, the small one and one with timed events."""
DAYS = {"yen-binh-substation-outage": 3.0}
"""Cases simulated longer than SETTINGS says: the outage starts on day 2 (a shorter horizon is
refused, and did not simulate the outage at all when the reference was first written)."""

SETTINGS = {"days": 2.0, "warmup_days": 1.0, "seed": 7, "replications": 2}
STATE_MOMENTS = ("2026-01-05T00:30:00", "2026-01-12T10:00:00", "2026-01-26T00:00:00")
"""Moments of the yen-binh recording: its first trucks, a busy morning, its last message."""


def write_state_documents() -> None:
    """The state documents of the replayed yen-binh recording, as yen-binh.state.json."""
    park = twin.load_park("yen-binh")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        replay_into_store(park, data_root() / "assets" / "sensors" / "yen-binh", path)
        with Store.open(path, read_only=True) as store:
            docs = {
                m: state_document(park, store, datetime.fromisoformat(m)) for m in STATE_MOMENTS
            }
    text = json.dumps(docs, indent=1, ensure_ascii=False)
    (GOLDEN / "yen-binh.state.json").write_text(text + "\n", encoding="utf-8")


FORECAST = {"hours": 1, "replications": 3, "seed": 5, "thresholds": {"trucks.in_park": 1}}
FORECAST_AT = datetime(2026, 1, 6, 10, 0)
COMPARISON = {"days": 1.0, "warmup_days": 0.5, "seed": 7, "replications": 3}


def write_documents() -> None:
    """demo-small.forecast.json and demo-small-peak-season.comparison.json."""
    state = StartState(FORECAST_AT)
    forecast = nowcast(twin.load_park("demo-small"), state, **FORECAST)  # type: ignore[arg-type]
    comparison = twin.compare("demo-small", ["peak-season"], twin.Settings(**COMPARISON))
    for name, doc in (
        ("demo-small.forecast.json", forecast.to_dict()),
        ("demo-small-peak-season.comparison.json", comparison.to_dict()),
    ):
        text = json.dumps(doc, indent=1, ensure_ascii=False)
        (GOLDEN / name).write_text(text + "\n", encoding="utf-8")


def main() -> int:
    """Simulate every case and write its kpis.json document."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for stem, (park, scenario) in CASES.items():
        settings = twin.Settings(**{**SETTINGS, "days": DAYS.get(stem, SETTINGS["days"])})
        experiment = twin.run(park, scenario, settings)
        text = json.dumps(experiment.to_dict(), indent=1, sort_keys=True)
        (GOLDEN / f"{stem}.kpis.json").write_text(text + "\n", encoding="utf-8")
        print(stem, len(experiment.to_dict()["kpis"]), "KPIs")
    write_state_documents()
    write_documents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
