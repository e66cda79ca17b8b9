"""Calibration: fit a park's parameters to sensor data and validate the fitted twin.

``calibrate(park, sensor_dir)`` reads the sensor CSVs (:mod:`.read`), splits the data period
into a training span and a held-out span (the last 20% by default), fits on the training span

- each logged flow's arrival profile (:mod:`.fit_arrivals`),
- each logged dock group's service distribution (:mod:`.fit_service`),
- each metered building's power and water levels and wastewater ratio (:mod:`.fit_meters`),
  and the weekdays its shifts do not run when the meters clearly show them (:mod:`.fit_weekdays`),
- each gate's service from ``gate_out``, or by deconvolution without it (:mod:`.fit_gates`),
- each dock group's staffed count from its observed occupancy (:mod:`.fit_docks`),
- the road speed from the drive out, and the docks staffed by simulation where the log has
  no service times to read them from (:mod:`.search`),

writes them into a copy of the park with their provenance (:mod:`.apply`), and simulates the
fitted park over the held-out span to compare it with what was measured (:mod:`.validation`).
The simulations go through the experiment runner (:func:`twin.experiment.runner.replicate`), so
they run on any backend with the same numbers. :func:`twin.reports.calibration.save_calibration`
writes the fitted park and the report folder.

A fitted value the park format refuses (not finite, out of range: readings of 1e308 kW) is
refused for its asset and named (:attr:`Calibration.refused`); the rest goes on. Numerical
warnings of the libraries are caught and become notes naming the stage.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from twin.calibration.apply import Edit, apply_edit
from twin.calibration.held_out_changes import mark_held_out_changes
from twin.calibration.meters import fit_meters
from twin.calibration.read import read_sensors
from twin.calibration.result import Calibration, CalibrationInterrupted, quiet
from twin.calibration.search import search_docks
from twin.calibration.trucks import distrust_irregular, fit_trucks, logged_groups, record_search
from twin.calibration.validation import Validation, check_held_out, default_replications
from twin.errors import InputError, UsageError
from twin.experiment.runner import Progress as Ticks
from twin.experiment.settings import Workers
from twin.io.inputs import ParkSource, read_park
from twin.language import say
from twin.model.intervals import DAY, Clock

__all__ = ["Calibration", "CalibrationInterrupted", "calibrate"]

Progress = Callable[[str], None]


def calibrate(
    park: ParkSource,
    sensor_dir: str | Path,
    holdout: float = 0.2,
    replications: int | None = None,
    seed: int = 0,
    search: bool = True,
    progress: Progress | None = None,
    workers: Workers | None = None,
    ticks: Ticks | None = None,
) -> Calibration:
    """Fit a park to the sensor data in a folder and validate it on a held-out span.

    Args:
        park: The park (or its file or bundled name) whose parameters are fitted.
        sensor_dir: Folder with ``meters.csv`` and/or ``trucks.csv`` (SPEC.md).
        holdout: Share of the data period, at its end, kept out of the fits and used to
            validate (0 fits on everything and skips validation).
        replications: Replications of the validation simulation; by default 20, fewer for
            a long held-out span (:func:`.validation.default_replications`).
        seed: Base seed of every simulation.
        search: Search the number of docks staffed by simulation.
        progress: Called with a short text before each stage.
        workers: Where the simulations run (default one process; processes, dask): the
            same numbers on any.
        ticks: Called with (replications done, planned) as the validation's finish.

    Returns:
        The fitted park with every fit and check.

    Raises:
        InputError: Unreadable or unusable sensor data, or ids the park lacks.
        UsageError: `holdout` outside [0, 0.9] or `replications` below 1.
    """

    if not 0.0 <= holdout <= 0.9:
        raise UsageError(f"`holdout` must be between 0 and 0.9, got {holdout}")
    if replications is not None and replications < 1:
        raise UsageError(f"`replications` must be at least 1, got {replications}")
    tell = progress or (lambda _: None)
    source = read_park(park)
    tell("reading sensor data")
    read_notes: list[str] = []
    with quiet(read_notes, "reading sensor data"):
        data = read_sensors(sensor_dir, source)
    period = data.period
    split = split_time(period, holdout, Clock.of(source.park.start))
    cal = Calibration(source, source, data, period, split, notes=read_notes)
    edit = Edit()
    tell("fitting arrivals, gates, docks and service times")
    with cal.quiet(say("calibration.note.stage_trucks", "en")):
        fit_trucks(cal, edit)
    tell("fitting meters")
    with cal.quiet(say("calibration.note.stage_meters", "en")):
        fit_meters(cal, edit)
    fitted = apply_edit(source, edit, _header(cal))
    unread = {g for g in logged_groups(cal) if g not in cal.counts}
    if search and data.trucks is not None and unread:
        tell("searching dock counts by simulation")
        cal.docks = search_docks(
            fitted, data.trucks, cal.training, data.timebase, groups=unread, seed=seed,
            workers=workers,
        )  # fmt: skip
        distrust_irregular(cal)
        record_search(cal, edit)
        fitted = apply_edit(source, edit, _header(cal))
    cal.refused = dict(edit.refused)
    cal.park = fitted
    _check_something_fitted(cal, edit, sensor_dir)
    if cal.held_out is not None and cal.held_out[1] - cal.held_out[0] >= 60.0:
        held_days = (cal.held_out[1] - cal.held_out[0]) / DAY
        reps = replications or default_replications(held_days)
        tell(f"validating on the held-out span ({reps} replications)")
        daily = {key: (fit.daily_sd, fit.daily_n) for key, fit in cal.levels.items()}
        for key, choice in cal.shapes.items():
            if choice.shape is not None:
                daily[key] = (choice.shape.daily_sd, choice.shape.daily_n)
        cal.validation = _check_held_out(cal, daily, reps, seed, workers, ticks)
        with cal.quiet(say("calibration.note.stage_changes", "en")):
            mark_held_out_changes(cal)
    else:
        cal.notes.append(say("calibration.note.not_validated", "en"))
    return cal


def _check_something_fitted(cal: Calibration, edit: Edit, sensor_dir: str | Path) -> None:
    """Refuse a calibration that neither fitted nor checked a single value of the park.

    Raises:
        InputError: naming the sensor data and why each part was not fitted (too short).
    """
    if edit.values or edit.kept or edit.refused:
        return
    why = [note for note in cal.notes if "not fitted" in note] or cal.notes
    reasons = "; ".join(why[:5]) + (f"; and {len(why) - 5} more" if len(why) > 5 else "")
    raise InputError(
        str(sensor_dir),
        "nothing in the data could be fitted or checked, so no calibrated park is written"
        + (f" ({reasons})" if reasons else ""),
    )


def _check_held_out(
    cal: Calibration,
    daily: dict[tuple[str, str], tuple[float, int]],
    replications: int,
    seed: int,
    workers: Workers | None,
    ticks: Ticks | None,
) -> Validation:
    """The fitted park's held-out checks; Ctrl-C raises :class:`CalibrationInterrupted`."""
    assert cal.held_out is not None
    try:
        with cal.quiet(say("calibration.note.stage_validation", "en")):
            return check_held_out(
                cal.park, cal.data, cal.held_out, daily, replications, seed, workers, ticks
            )
    except KeyboardInterrupt:  # the runner's Interrupted, or Ctrl-C between its runs
        cal.interrupted = True
        cal.notes.append(say("calibration.note.validation_interrupted", "en"))
        raise CalibrationInterrupted(cal) from None


def split_time(period: tuple[float, float], holdout: float, clock: Clock) -> float:
    """Where the held-out span starts: a midnight for a week or more of data, else an hour."""
    lo, hi = period
    if holdout <= 0:
        return hi
    raw = lo + (1.0 - holdout) * (hi - lo)
    unit = DAY if hi - lo >= 5 * DAY else 60.0
    split = round((raw + clock.start_offset_min) / unit) * unit - clock.start_offset_min
    if not lo < split < hi:
        split = raw
    return float(split)


def _header(cal: Calibration) -> dict[str, Any]:
    held = cal.held_out
    return {
        "by": "parktwin calibrate",
        "sensors": str(cal.data.folder),
        "period": cal.span_text(cal.period),
        "training": cal.span_text(cal.training),
        "held_out": cal.span_text(held) if held else None,
    }
