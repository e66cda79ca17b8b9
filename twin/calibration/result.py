"""The result of a calibration: every fit, search and check, and how warnings are kept."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.calibration.changes import MeterChange
from twin.calibration.fit_arrivals import ArrivalFit
from twin.calibration.fit_docks import DockCount
from twin.calibration.fit_gates import GateFit
from twin.calibration.fit_meters import LevelFit, RatioFit
from twin.calibration.fit_service import ServiceFit
from twin.calibration.fit_shapes import ShapeChoice
from twin.calibration.fit_weekdays import WeekdayFit
from twin.calibration.read import SensorData
from twin.calibration.search import DockSearch, SpeedFit
from twin.calibration.validation import Validation
from twin.experiment.runner import Interrupted
from twin.language import say
from twin.model.schema import Park, Window


@contextmanager
def quiet(notes: list[str], stage: str) -> Iterator[None]:
    """Run a stage with numerical and library warnings caught; each becomes one note."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        yield
    seen = sorted({str(w.message) for w in caught})
    if seen:
        notes.append(
            say("calibration.note.numerical", "en", stage=stage, warnings="; ".join(seen[:3]))
        )


@dataclass
class Calibration:
    """A calibrated park with every fit, search and validation check behind it."""

    source: Park
    park: Park
    data: SensorData
    period: tuple[float, float]
    split: float
    arrivals: dict[str, ArrivalFit] = field(default_factory=dict)
    services: dict[str, ServiceFit] = field(default_factory=dict)
    levels: dict[tuple[str, str], LevelFit] = field(default_factory=dict)
    meter_windows: dict[tuple[str, str], list[Window]] = field(default_factory=dict)  # shifts
    ratios: dict[str, RatioFit] = field(default_factory=dict)
    weekdays: dict[str, WeekdayFit] = field(default_factory=dict)  # shift weekdays, by building
    shapes: dict[tuple[str, str], ShapeChoice] = field(default_factory=dict)  # load shapes
    speed: SpeedFit | None = None
    docks: dict[str, DockSearch] = field(default_factory=dict)
    counts: dict[str, DockCount] = field(default_factory=dict)  # docks from occupancy
    gates: dict[str, GateFit] = field(default_factory=dict)
    validation: Validation | None = None
    notes: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # place -> why its fit was refused
    intervals: dict[str, dict[str, list[float | None]]] = field(default_factory=dict)  # by place
    profiles: dict[str, list[list[float | None]]] = field(default_factory=dict)  # each value's
    identifiability: dict[str, str] = field(default_factory=dict)  # place -> what the data miss
    changes: list[MeterChange] = field(default_factory=list)  # steps found in the training span
    held_out_changes: list[MeterChange] = field(default_factory=list)  # steps near validation
    unidentified: set[str] = field(default_factory=set)  # places the data cannot tell
    combinations: dict[str, dict[str, Any]] = field(default_factory=dict)  # what they can tell
    interrupted: bool = False  # Ctrl-C during the validation: every fit, no validation

    def quiet(self, stage: str) -> Any:
        """A context that runs a stage with library warnings caught, as notes naming it."""
        return quiet(self.notes, stage)

    @property
    def training(self) -> tuple[float, float]:
        """The span the fits used, minutes from the park's start."""
        return self.period[0], self.split

    @property
    def held_out(self) -> tuple[float, float] | None:
        """The span kept for validation, or None."""
        return (self.split, self.period[1]) if self.split < self.period[1] else None

    def span_text(self, span: tuple[float, float]) -> str:
        """``2026-01-05T00:00/2026-01-22T00:00``."""
        return f"{self.data.timebase.iso(span[0])}/{self.data.timebase.iso(span[1])}"


class CalibrationInterrupted(Interrupted):
    """Ctrl-C during the held-out validation: `calibration` holds every fit, not validated.

    Its ``interrupted`` is set and a note says so: a partial result to keep, never one to put
    over a complete one.
    """

    def __init__(self, calibration: Calibration):
        super().__init__()
        self.calibration = calibration
