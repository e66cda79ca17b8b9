"""Truck arrivals of a flow: a non-homogeneous Poisson process fitted by maximum likelihood.

The rate is piecewise constant on clock hours. Three models compete:

- ``hourly``: the same 24 rates every day (the park's ``hourly_profile``);
- ``weekday``: the 24 hourly rates times a factor per weekday (24 + 6 parameters), for a week
  whose days differ in volume but not in shape;
- ``weekly``: a free rate for each of the 168 hours of the week.

For a piecewise-constant rate the maximum-likelihood estimate of a rate is the number of
arrivals in its hours divided by the exposure (hours of data in them); the weekday model is
fitted by iterative proportional fitting (the Poisson log-linear model hour + weekday). The
two weekly models are candidates only with at least two weeks of data (every hour of the week
seen twice). The model with the lowest AIC is written, the weekly ones as ``weekly_profile``
(168 rates, Monday 00:00 first).

Whether the data are Poisson at all is checked with the index of dispersion of the daily
counts: Pearson's X² = Σ (n_d − m_d)² / m_d over days, with m_d the fitted expectation of day
d, is χ²-distributed with (days − margins) degrees of freedom for a Poisson process, where
the margins are the totals the model matches: 1 for the hourly model, one per weekday seen for
the weekday and weekly models (each fits its weekdays' totals exactly). A large X²
(over-dispersion) means the days differ more than chance allows: a model with these rates will
understate day-to-day variation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twin.language import Language, say
from twin.model.intervals import DAY, Clock
from twin.text import localized

WEEK_HOURS = 168
MIN_WEEKLY_DAYS = 14.0
P_LIMIT = 0.01


@dataclass(frozen=True)
class Dispersion:
    """Pearson's index of dispersion of counts against their fitted expectation."""

    statistic: float
    df: int
    p_over: float  # P(X² >= observed) under Poisson: small when over-dispersed
    p_under: float  # P(X² <= observed): small when too regular for Poisson

    @property
    def index(self) -> float:
        """X² / df: about 1 for a Poisson process."""
        return self.statistic / self.df if self.df else math.nan

    @property
    def poisson(self) -> bool:
        """True when the counts are consistent with a Poisson process (two-sided 1% test)."""
        return not (self.p_over < P_LIMIT or self.p_under < P_LIMIT)

    def verdict(self, lang: Language = "en") -> str:
        """A plain sentence on what the test says, in `lang`."""
        stats = say("dispersion.stats", lang, index=localized(f"{self.index:.2f}", lang),
                    p=localized(f"{min(self.p_over, self.p_under):.2g}", lang))  # fmt: skip
        if self.p_over < P_LIMIT:
            times = localized(f"{self.index:.1f}", lang)
            return say("dispersion.over", lang, times=times, stats=stats)
        if self.p_under < P_LIMIT:
            return say("dispersion.under", lang, stats=stats)
        return say("dispersion.poisson", lang, stats=stats)


@dataclass(frozen=True)
class ArrivalFit:
    """Fitted arrival rates of one flow, with the evidence for them."""

    flow: str
    n: int
    exposure_h: float
    hourly: np.ndarray  # 24 rates per hour, hour 0 first
    hourly_se: np.ndarray
    weekly: np.ndarray | None  # free rate of each hour of the week, Monday 00:00 first
    weekday: np.ndarray | None  # hourly × weekday factors, 168 rates
    factors: np.ndarray | None  # the 7 weekday factors (mean 1), Monday first
    choice: str  # "hourly", "weekday" or "weekly"
    aic: dict[str, float]
    daily: Dispersion
    hourly_index: float  # Pearson index over clock hours (secondary check)

    @property
    def rates(self) -> np.ndarray:
        """The chosen profile: 24 or 168 rates per hour."""
        if self.choice == "weekly" and self.weekly is not None:
            return self.weekly
        if self.choice == "weekday" and self.weekday is not None:
            return self.weekday
        return self.hourly

    @property
    def per_day(self) -> float:
        """Mean arrivals per day of the fitted profile."""
        return float(self.rates.mean() * 24.0)

    def weekday_or_weekly(self, model: str) -> np.ndarray:
        """The 168 rates of the weekday or the weekly model."""
        rates = self.weekday if model == "weekday" else self.weekly
        assert rates is not None
        return rates

    def weekly_rates(self) -> np.ndarray:
        """The fitted rate of each of the 168 hours of the week."""
        return self.rates if len(self.rates) == WEEK_HOURS else np.tile(self.hourly, 7)


@dataclass(frozen=True)
class Exposure:
    """Clock-hour pieces of a time window: start (min), length (h), hour of the week."""

    start: np.ndarray
    hours: np.ndarray
    week_hour: np.ndarray
    day: np.ndarray  # calendar day index of each piece

    @classmethod
    def of(cls, window: tuple[float, float], clock: Clock) -> Exposure:
        """Split ``[lo, hi)`` at every full clock hour."""
        lo, hi = window
        knots = np.unique(np.concatenate([[lo, hi], clock.hour_edges(window)]))
        knots = knots[(knots >= lo) & (knots <= hi)]
        start = knots[:-1]
        return cls(
            start=start,
            hours=np.diff(knots) / 60.0,
            week_hour=clock.week_hour(start),
            day=np.floor((start + clock.start_offset_min) / DAY).astype(np.int64),
        )

    def per_week_hour(self) -> np.ndarray:
        """Hours of data in each hour of the week."""
        return np.bincount(self.week_hour, self.hours, minlength=WEEK_HOURS)


def fit_arrivals(
    flow: str, times: np.ndarray, window: tuple[float, float], clock: Clock
) -> ArrivalFit:
    """Fit the arrival profile of a flow from its arrival times in a window.

    Args:
        flow: The flow's id (for the result).
        times: Arrival times, minutes from the park's start; those outside `window` are ignored.
        window: The observation window ``[lo, hi)`` in minutes; arrivals are assumed recorded
            throughout it.
        clock: The park's clock (hour of the day and weekday of each time).

    Returns:
        The fitted hourly (and, with two weeks of data, weekly) profile, the one chosen by AIC,
        and the dispersion check.
    """
    lo, hi = window
    times = np.asarray(times, dtype=float)
    times = times[(times >= lo) & (times < hi)]
    pieces = Exposure.of(window, clock)
    counts_w = np.bincount(clock.week_hour(times), minlength=WEEK_HOURS).astype(float)
    expo_w = pieces.per_week_hour()
    counts_h = counts_w.reshape(7, 24).sum(axis=0)
    expo_h = expo_w.reshape(7, 24).sum(axis=0)
    hourly = _ratio(counts_h, expo_h)
    hourly_se = np.sqrt(np.maximum(counts_h, 1.0)) / np.where(expo_h > 0, expo_h, np.inf)
    aic = {"hourly": 2 * int((expo_h > 0).sum()) - 2 * _loglik(counts_h, expo_h, hourly)}
    weekly = weekday = factors = None
    if (hi - lo) >= MIN_WEEKLY_DAYS * DAY:
        weekly = _ratio(counts_w, expo_w)
        aic["weekly"] = 2 * int((expo_w > 0).sum()) - 2 * _loglik(counts_w, expo_w, weekly)
        weekday, factors = _hour_times_weekday(counts_w, expo_w)
        k = int((expo_h > 0).sum()) + 6
        aic["weekday"] = 2 * k - 2 * _loglik(counts_w, expo_w, weekday)
    choice = min(aic, key=lambda name: aic[name])
    profile = {"hourly": np.tile(hourly, 7), "weekly": weekly, "weekday": weekday}[choice]
    assert profile is not None
    rate_of_piece = profile[pieces.week_hour]
    expected = rate_of_piece * pieces.hours
    days = np.floor((times + clock.start_offset_min) / DAY).astype(np.int64)
    first = int(pieces.day.min()) if len(pieces.day) else 0
    size = int(pieces.day.max()) - first + 1 if len(pieces.day) else 0
    m_day = np.bincount(pieces.day - first, expected, minlength=size)
    n_day = np.bincount(days - first, minlength=size).astype(float)[:size]
    daily = pearson(n_day, m_day, fitted=_daily_margins(choice, pieces))
    piece_of = np.searchsorted(pieces.start, times, side="right") - 1
    n_piece = np.bincount(piece_of, minlength=len(pieces.start)).astype(float)
    k = {"hourly": 24, "weekday": 30, "weekly": 168}[choice]
    hourly_check = pearson(n_piece, expected, fitted=k)
    return ArrivalFit(
        flow=flow,
        n=len(times),
        exposure_h=float(pieces.hours.sum()),
        hourly=hourly,
        hourly_se=hourly_se,
        weekly=weekly,
        weekday=weekday,
        factors=factors,
        choice=choice,
        aic=aic,
        daily=daily,
        hourly_index=hourly_check.index,
    )


def _daily_margins(choice: str, pieces: Exposure) -> int:
    """How many linear constraints the fitted model puts on the daily expectations.

    The hourly model matches the total count (1); the weekday and weekly models match the
    count of every weekday seen (one margin per weekday with data).
    """
    if choice == "hourly":
        return 1
    return max(1, len(np.unique(pieces.week_hour[pieces.hours > 0] // 24)))


def pearson(
    observed: np.ndarray, expected: np.ndarray, fitted: int, min_expected: float = 5.0
) -> Dispersion:
    """Pearson's X² of counts against expectations, with `fitted` parameters estimated.

    Consecutive cells are pooled until each expects at least `min_expected` counts (the usual
    condition for the χ² approximation); cells expecting nothing are skipped.
    """
    from scipy import stats

    use = expected > 1e-9
    obs, exp = _pool(observed[use], expected[use], min_expected)
    statistic = float(((obs - exp) ** 2 / exp).sum()) if len(exp) else 0.0
    df = max(len(exp) - fitted, 1)
    return Dispersion(
        statistic=statistic,
        df=df,
        p_over=float(stats.chi2.sf(statistic, df)),
        p_under=float(stats.chi2.cdf(statistic, df)),
    )


def _pool(observed: np.ndarray, expected: np.ndarray, least: float) -> tuple[np.ndarray, ...]:
    """Merge consecutive cells until each expects at least `least`; the rest joins the last."""
    if not len(expected) or least <= 0:
        return observed, expected
    cumulative = np.cumsum(expected)
    group = np.floor(cumulative / least - 1e-12).astype(np.int64)
    # a cell closes a group when the running total passes a multiple of `least`
    group = np.concatenate([[0], group[:-1]])
    _, group = np.unique(group, return_inverse=True)
    obs = np.bincount(group, observed)
    exp = np.bincount(group, expected)
    if len(exp) > 1 and exp[-1] < least:
        obs[-2] += obs[-1]
        exp[-2] += exp[-1]
        obs, exp = obs[:-1], exp[:-1]
    return obs, exp


def _hour_times_weekday(counts_w: np.ndarray, expo_w: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rates a_h × b_d (hour of day × weekday) by iterative proportional fitting.

    The Poisson maximum-likelihood estimates satisfy, for every hour h and weekday d,
    Σ_d n_dh = a_h Σ_d b_d E_dh and Σ_h n_dh = b_d Σ_h a_h E_dh; alternating the two converges.
    """
    n = counts_w.reshape(7, 24)
    e = expo_w.reshape(7, 24)
    b = np.ones(7)
    a = _ratio(n.sum(axis=0), e.sum(axis=0))
    for _ in range(200):
        a = _ratio(n.sum(axis=0), (b[:, None] * e).sum(axis=0))
        new_b = _ratio(n.sum(axis=1), (a[None, :] * e).sum(axis=1))
        new_b = new_b / new_b.mean() if new_b.mean() > 0 else np.ones(7)
        if np.max(np.abs(new_b - b)) < 1e-10:
            b = new_b
            break
        b = new_b
    a = _ratio(n.sum(axis=0), (b[:, None] * e).sum(axis=0))
    return (b[:, None] * a[None, :]).ravel(), b


def _ratio(counts: np.ndarray, exposure: np.ndarray) -> np.ndarray:
    out = np.zeros_like(counts, dtype=float)
    np.divide(counts, exposure, out=out, where=exposure > 0)
    return out


def _loglik(counts: np.ndarray, exposure: np.ndarray, rates: np.ndarray) -> float:
    """Poisson-process log-likelihood of piecewise-constant rates (constants dropped)."""
    positive = counts > 0
    return float((counts[positive] * np.log(rates[positive])).sum() - (rates * exposure).sum())


@dataclass(frozen=True)
class FileRatesTest:
    """Likelihood-ratio tests of a park file's rates against every fitted model."""

    factor: float  # maximum-likelihood scale of the file's rates (trucks seen / expected)
    statistics: dict[str, tuple[float, int, float]]  # model: (LR / dispersion, df, p-value)
    replace_by: str | None  # None: the data support the file's rates; "scaled" or a model

    def summary(self) -> str:
        """``LR tests against the file's rates: scaled p 0.3, hourly p 0.8`` in words."""
        return "likelihood-ratio tests against the file's rates: " + ", ".join(
            f"{name} p = {p:.2g}" for name, (_, _, p) in self.statistics.items()
        )


def judge_file_rates(
    fit: ArrivalFit,
    file_weekly: np.ndarray,
    times: np.ndarray,
    window: tuple[float, float],
    clock: Clock,
    alpha: float = 0.001,
) -> FileRatesTest:
    """Are the file's rates rejected by the data? Nested likelihood-ratio tests at `alpha`.

    Candidates: the file's rates scaled by one factor (1 df) and each fitted model (its
    parameters as df). Each statistic 2(log L_model − log L_file) is divided by the daily
    index of dispersion when above 1 (quasi-likelihood), so day-to-day variation alone does
    not reject rates right on average. The file's rates are replaced when some candidate
    rejects them; then by the candidate of lowest AIC among those that do.
    """
    from scipy import stats

    lo, hi = window
    times = np.asarray(times, dtype=float)
    times = times[(times >= lo) & (times < hi)]
    counts = np.bincount(clock.week_hour(times), minlength=WEEK_HOURS).astype(float)
    expo = Exposure.of(window, clock).per_week_hour()
    rates = np.asarray(file_weekly, dtype=float)
    expected = float((rates * expo).sum())
    factor = counts.sum() / expected if expected > 0 else math.inf
    base = _loglik(counts, expo, rates) if ((rates > 0) | (counts == 0)).all() else -math.inf
    dispersion = max(fit.daily.index, 1.0) if math.isfinite(fit.daily.index) else 1.0
    candidates = {"scaled": (factor * rates, 1)}
    k_hours = int((expo.reshape(7, 24).sum(axis=0) > 0).sum())
    candidates["hourly"] = (np.tile(fit.hourly, 7), k_hours)
    if fit.weekday is not None:
        candidates["weekday"] = (fit.weekday, k_hours + 6)
    if fit.weekly is not None:
        candidates["weekly"] = (fit.weekly, int((expo > 0).sum()))
    statistics: dict[str, tuple[float, int, float]] = {}
    aic: dict[str, float] = {}
    for name, (profile, df) in candidates.items():
        loglik = _loglik(counts, expo, profile) if math.isfinite(factor) else -math.inf
        lr = 2 * (loglik - base) / dispersion if math.isfinite(base) else math.inf
        statistics[name] = (lr, df, float(stats.chi2.sf(lr, df)) if math.isfinite(lr) else 0.0)
        aic[name] = 2 * df - 2 * loglik
    rejecting = [n for n, (_, _, p) in statistics.items() if p < alpha]
    best = min(rejecting, key=lambda n: aic[n]) if rejecting else None
    return FileRatesTest(float(factor), statistics, best)
