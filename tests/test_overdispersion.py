"""Following's change detection on counts that vary more than Poisson counts do.

The hourly counts come from a generator written here in plain numpy (not the engine, not the
sample maker): a flow's hourly profile times, per day, a lognormal factor (sd of the log 0.35,
as the bundled sample's customs flow has) or a weekday factor the park lacks (as its bonded
warehouse's flows have), or a step in the rate. Following is driven as the live twin drives it
(:func:`twin.live.follow.follow_counts` at origins every three hours, the data of the 28 days
before each), once with the plain Poisson model and once with the default one; a false change
is a spell of consecutive origins reporting a change where none was planted.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin.live.follow import follow_counts
from twin.live.runlength import day_dispersion, run_lengths

CUSTOMS = np.array([0.0] * 7 + [4.8, 7.2, 8.0, 7.2, 5.6, 4.8, 7.2, 8.0, 7.2, 5.6, 3.2] + [0.0] * 6)
"""The customs flow's hourly profile (69 trucks a day, none at night)."""
BONDED = np.array(
    [0.0] * 6 + [2.5, 4.0, 4.8, 5.0, 4.5, 3.5, 3.0, 4.0, 4.8, 5.0, 4.2, 3.0, 2.0, 1.2, 0.8]
    + [0.0] * 3
)  # fmt: skip
WEEKDAYS = np.array([1.1, 1.1, 1.1, 1.1, 1.1, 0.6, 0.25])
"""Monday to Sunday factors on the bonded warehouse's profile, which the park does not have."""
EVERY_H = 3
WINDOW_H = 28 * 24


def history(
    seed: int,
    profile: np.ndarray,
    days: int = 21,
    log_sd: float = 0.0,
    weekdays: np.ndarray | None = None,
    step: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hourly counts, the park's expected counts (the profile) and each hour's day; day 0 is a
    Monday. The truth is the profile times a lognormal day factor of mean 1 (`log_sd`), the
    `weekdays` factors and, from day `step[0]` on, `step[1]`."""
    rng = np.random.default_rng(seed)
    day = np.arange(days * 24) // 24
    expected = np.tile(profile, days)
    truth = expected * np.exp(log_sd * rng.standard_normal(days) - log_sd**2 / 2)[day]
    if weekdays is not None:
        truth = truth * weekdays[day % 7]
    if step is not None:
        truth[int(step[0] * 24) :] *= step[1]
    return rng.poisson(truth).astype(float), expected, day


def reported(
    counts: np.ndarray, expected: np.ndarray, day: np.ndarray, poisson: bool
) -> list[tuple[int, int]]:
    """The spells of reported change: (the hour it was first reported, the hour it is dated)."""
    spells, before = [], False
    for hour in range(24, len(counts) + 1, EVERY_H):
        lo = max(0, hour - WINDOW_H)
        fit = follow_counts(counts[lo:hour], expected[lo:hour], day[lo:hour], poisson)
        now = fit.begin is not None
        if now and not before:
            spells.append((hour, hour - min(hour - lo, 168) + int(fit.begin or 0)))
        before = now
    return spells


def false_changes(seeds: range, poisson: bool, **kind: object) -> float:
    """Spells of reported change per 21 days, over the seeds' histories of no change."""
    spells = [len(reported(*history(s, **kind), poisson)) for s in seeds]  # type: ignore[arg-type]
    return sum(spells) / len(spells)


def test_the_tempered_posterior_is_the_conjugate_update_of_counts_weighed_by_one_over_d():
    rng = np.random.default_rng(3)
    expected = np.full(48, 3.0)
    counts = rng.poisson(2 * expected).astype(float)
    still = run_lengths(counts, expected, prior=10.0, hazard=1e-300, dispersion=4.0)
    hand = (10 + counts.sum() / 4) / (10 + expected.sum() / 4)
    assert still.mean() == pytest.approx(hand, rel=1e-12)
    # the Gamma's variance is shape / rate², so D = 4 doubles its sd for a large count
    poisson = run_lengths(counts, expected, prior=1e-9, hazard=1e-300)
    tempered = run_lengths(counts, expected, prior=1e-9, hazard=1e-300, dispersion=4.0)
    sd = [math.sqrt(p.shape[0]) / p.rate[0] for p in (poisson, tempered)]
    assert sd[1] / sd[0] == pytest.approx(2.0, rel=1e-6)
    with pytest.raises(ValueError, match="dispersion"):
        run_lengths(counts, expected, prior=10.0, hazard=0.01, dispersion=0.5)


def test_day_dispersion_is_the_variance_of_a_days_count_over_its_mean():
    """400 days of 60 expected events with a Gamma day factor of variance 0.1: a day's count
    has variance 60 + 0.1 * 60² about its mean 60, 7 times a Poisson count's."""
    rng = np.random.default_rng(11)
    days = 400
    day = np.arange(days * 24) // 24
    expected = np.full(days * 24, 2.5)
    factor = rng.gamma(10.0, 0.1, days)
    counts = rng.poisson(expected * factor[day]).astype(float)
    assert day_dispersion(counts, expected, day) == pytest.approx(7.0, rel=0.15)
    plain = rng.poisson(expected).astype(float)
    assert 1.0 <= day_dispersion(plain, expected, day) < 1.15
    # a step in the level moves one difference of 399: not taken for dispersion
    stepped = rng.poisson(expected * np.where(day >= 200, 1.5, 1.0)).astype(float)
    assert day_dispersion(stepped, expected, day) < 1.15
    # under five whole days (a step cannot be told from days that vary): Poisson
    assert day_dispersion(counts[:110], expected[:110], day[:110]) == 1.0
    assert day_dispersion(counts[:120], expected[:120], day[:120]) > 1.0
    # at most a day's mean count
    assert day_dispersion(np.array([]), np.array([]), np.array([])) == 1.0
    wild = np.zeros(days * 24)
    wild[::24] = np.where(np.arange(days) % 2 == 0, 0.0, 120.0)  # 0 and 120 events by turns
    assert day_dispersion(wild, expected, day) == pytest.approx(60.0)


def test_a_drop_that_the_same_hours_of_last_week_had_too_is_not_a_change():
    """A week at the park's rate, then a day at 30% of it, twice: the first drop is reported,
    the second, which the data have seen a week before, is followed but not reported."""
    day = np.arange(15 * 24) // 24
    expected = np.tile(BONDED, 15)
    counts = expected * np.where(day % 7 == 6, 0.3, 1.0)
    first = follow_counts(counts[: 7 * 24], expected[: 7 * 24], day[: 7 * 24])
    assert first.begin == 6 * 24 and first.size_pct is not None and first.size_pct < -30
    second = follow_counts(counts[: 14 * 24], expected[: 14 * 24], day[: 14 * 24])
    assert second.begin is None and second.posterior.mean() < 0.9
    plain = follow_counts(counts[: 14 * 24], expected[: 14 * 24], day[: 14 * 24], poisson=True)
    assert plain.begin is not None


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "bound"),
    [
        ({"profile": CUSTOMS, "log_sd": 0.35}, 4.0),
        ({"profile": BONDED, "weekdays": WEEKDAYS}, 2.4),
    ],
    ids=["lognormal-day-factor", "weekday-profile"],
)
def test_overdispersed_counts_with_no_change_report_fewer_changes(kind, bound):
    seeds = range(12)
    before = false_changes(seeds, poisson=True, **kind)
    after = false_changes(seeds, poisson=False, **kind)
    print(f"\nfalse changes per 21 days: Poisson {before:.2f}, overdispersed {after:.2f}")
    assert after <= bound < before


@pytest.mark.slow
def test_plain_poisson_counts_with_no_change_report_no_more_changes():
    seeds = range(12)
    before = false_changes(seeds, poisson=True, profile=CUSTOMS)
    after = false_changes(seeds, poisson=False, profile=CUSTOMS)
    print(f"\nfalse changes per 21 days: Poisson {before:.2f}, overdispersed {after:.2f}")
    assert after <= before + 0.1


@pytest.mark.slow
@pytest.mark.parametrize("factor", [1.5, 0.6])
def test_a_step_in_poisson_counts_is_found_as_soon_as_before(factor):
    """A step at noon of day 10 of 14: the first report dated within a day of it, and how
    many hours after the step it came (None: not within two days)."""
    step = 10.5 * 24
    delays: dict[bool, list[float | None]] = {True: [], False: []}
    for seed in range(12):
        series = history(seed, CUSTOMS, days=14, step=(10.5, factor))
        for poisson in (True, False):
            found = [h - step for h, at in reported(*series, poisson) if abs(at - step) <= 24]
            first = min((d for d in found if d >= 0), default=None)
            delays[poisson].append(first if first is not None and first <= 48 else None)
    print(f"\ndelays (h) Poisson {delays[True]}\n      overdispersed {delays[False]}")
    rate = {p: sum(d is not None for d in delays[p]) / 12 for p in delays}
    mean = {p: np.mean([d for d in delays[p] if d is not None]) for p in delays}
    assert rate[False] >= rate[True] - 1 / 12 and rate[False] >= 0.75
    assert mean[False] <= mean[True] + 3.0
