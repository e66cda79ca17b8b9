"""Service-time distributions fitted by maximum likelihood, with right-censoring.

Every continuous family of the park format (SPEC.md) is fitted to the same data: exponential,
lognormal, gamma, normal truncated at 0, uniform and triangular. The likelihood of a complete
service time x is the density f(x); a service still running when the record ends at time c
(``dock_start`` without ``dock_end``) contributes the survival S(c − start), so long services
cut off by the end of the data are not lost or shortened. The family with the lowest AIC
(2k − 2 log L) is chosen; the Kolmogorov–Smirnov statistic and p-value of each fit against the
complete times are reported. (With parameters estimated from the same data the KS p-value is
optimistic; read it as a screen, and the AIC ranking as the choice.)

The fitted parameters are written in the park's own parametrisation: lognormal and gamma by
their mean and standard deviation, the normal by the mean and sd of the normal before
truncation (what :mod:`twin.model.dist` samples).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

MIN_SERVICES = 20
FAMILIES = ("exponential", "lognormal", "gamma", "normal", "uniform", "triangular")


@dataclass(frozen=True)
class FamilyFit:
    """One family's maximum-likelihood fit."""

    family: str
    spec: dict[str, Any]  # the park-file distribution, e.g. {"dist": "gamma", "mean":, "sd":}
    params: int
    loglik: float
    ks_d: float
    ks_p: float

    @property
    def aic(self) -> float:
        """Akaike's information criterion, 2k − 2 log L."""
        return 2 * self.params - 2 * self.loglik


@dataclass(frozen=True)
class ServiceFit:
    """The fits of every family to one dock group's service times, best (lowest AIC) first."""

    name: str
    n: int  # complete service times
    n_censored: int
    mean_observed: float
    fits: tuple[FamilyFit, ...]

    @property
    def best(self) -> FamilyFit:
        """The family chosen by AIC."""
        return self.fits[0]


def fit_service(
    name: str, complete: np.ndarray, censored: np.ndarray | None = None
) -> ServiceFit | None:
    """Fit every family to service times; None when there are fewer than 20 complete ones.

    Args:
        name: The dock group (or gate) the times belong to.
        complete: Observed service times, minutes.
        censored: Lower bounds of services still running when the record ended, minutes.
    """
    x = np.asarray(complete, dtype=float)
    x = x[np.isfinite(x) & (x >= 0)]
    c = np.asarray(censored if censored is not None else [], dtype=float)
    c = c[np.isfinite(c) & (c > 0)]
    if len(x) < MIN_SERVICES:
        return None
    x = np.maximum(x, 1e-6)  # a zero time has no density under most families
    fits = [fit for family in FAMILIES if (fit := fit_family(family, x, c)) is not None]
    fits.sort(key=lambda f: f.aic)
    return ServiceFit(name, len(x), len(c), float(x.mean()), tuple(fits))


def fit_family(family: str, x: np.ndarray, c: np.ndarray) -> FamilyFit | None:
    """Maximum-likelihood fit of one family to complete times `x` and censored times `c`."""
    from scipy import stats

    fitter = _FITTERS[family]
    try:
        theta = fitter(x, c)
    except (ValueError, FloatingPointError, ArithmeticError):
        return None
    if theta is None:
        return None
    dist, spec, k = _FROZEN[family](theta)
    loglik = float(dist.logpdf(x).sum() + (dist.logsf(c).sum() if len(c) else 0.0))
    if not math.isfinite(loglik):
        return None
    test = stats.kstest(x, dist.cdf)
    return FamilyFit(family, spec, k, loglik, float(test.statistic), float(test.pvalue))


def frozen(spec: dict[str, Any]) -> Any:
    """The scipy distribution of a park-file distribution spec (continuous families only)."""
    from scipy import stats

    dist = spec["dist"]
    if dist == "exponential":
        return stats.expon(scale=spec["mean"])
    if dist in ("lognormal", "gamma"):
        mean, sd = spec["mean"], spec["sd"]
        if dist == "lognormal":
            sigma2 = math.log1p((sd / mean) ** 2)
            return stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(math.log(mean) - sigma2 / 2))
        return stats.gamma(a=(mean / sd) ** 2, scale=sd * sd / mean)
    if dist == "normal":
        mu, sd = spec["mean"], spec["sd"]
        return stats.truncnorm(a=-mu / sd, b=np.inf, loc=mu, scale=sd)
    if dist == "uniform":
        return stats.uniform(loc=spec["min"], scale=spec["max"] - spec["min"])
    if dist == "triangular":
        a, m, b = spec["min"], spec["mode"], spec["max"]
        return stats.triang(c=(m - a) / (b - a), loc=a, scale=b - a)
    raise ValueError(f"no scipy form for distribution '{dist}'")


# --------------------------------------------------------------------------- fitters
# Each returns the parameters in its own form; _FROZEN turns them into a scipy distribution,
# the park-file spec and the number of parameters.


def _minimize(nll: Callable[[np.ndarray], float], start: np.ndarray) -> np.ndarray:
    from scipy import optimize

    def safe(theta: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            value = nll(theta)
        return value if math.isfinite(value) else 1e300

    result = optimize.minimize(
        safe, start, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-7, "maxiter": 4000}
    )
    return np.asarray(result.x)


def _exponential(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    # closed form: total time (complete and censored) over complete services
    return np.array([(x.sum() + c.sum()) / len(x)])


def _lognormal(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    from scipy import stats

    logs = np.log(x)
    start = np.array([logs.mean(), math.log(max(logs.std(), 1e-3))])
    if not len(c):
        return start
    log_c = np.log(c)

    def nll(t: np.ndarray) -> float:
        mu, s = t[0], math.exp(t[1])
        return -float(
            stats.norm.logpdf(logs, mu, s).sum() - logs.sum() + stats.norm.logsf(log_c, mu, s).sum()
        )

    return _minimize(nll, start)


def _gamma(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    from scipy import special, stats

    mean, var = x.mean(), max(x.var(), 1e-9)
    start = np.log([mean * mean / var, var / mean])
    log_x, sum_x = np.log(x).sum(), x.sum()
    n = len(x)

    def nll(t: np.ndarray) -> float:
        k, theta = math.exp(t[0]), math.exp(t[1])
        complete = (k - 1) * log_x - sum_x / theta - n * (special.gammaln(k) + k * t[1])
        cut = stats.gamma.logsf(c, k, scale=theta).sum() if len(c) else 0.0
        return -float(complete + cut)

    return _minimize(nll, start)


def _normal(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    from scipy import special, stats

    start = np.array([x.mean(), math.log(max(x.std(), 1e-3))])
    n, sum_x, sum_xx = len(x), float(x.sum()), float((x * x).sum())
    half_log_2pi = 0.5 * math.log(2 * math.pi)

    def nll(t: np.ndarray) -> float:
        mu, s = max(t[0], 0.0), math.exp(t[1])
        norm = special.log_ndtr(mu / s)  # the mass above 0
        # Σ log φ((x − μ)/σ)/σ from the sufficient statistics: O(1) per evaluation
        squares = sum_xx - 2 * mu * sum_x + n * mu * mu
        value = -squares / (2 * s * s) - n * (math.log(s) + half_log_2pi) - n * norm
        if len(c):
            value += stats.norm.logsf(c, mu, s).sum() - len(c) * norm
        return -float(value)

    theta = _minimize(nll, start)
    theta[0] = max(theta[0], 0.0)
    return theta


def _uniform(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    from scipy import optimize

    # a is the smallest complete time (the likelihood falls as b − a grows); b is at least
    # every time seen, and may lie above when censored times sit close to the top.
    a = float(x.min())
    top = float(max(x.max(), c.max() if len(c) else 0.0))

    def nll(b: float) -> float:
        width = b - a
        if width <= 0:
            return 1e300
        value = -len(x) * math.log(width)
        if len(c):
            room = (b - c) / width
            if (room <= 0).any():
                return 1e300
            value += float(np.log(np.minimum(room, 1.0)).sum())
        return -value

    low = max(top, a + 1e-6)
    result = optimize.minimize_scalar(
        nll, bounds=(low, low + 10 * (low - a) + 1.0), method="bounded"
    )
    b = float(result.x) if nll(float(result.x)) < nll(low) else low
    return np.array([a, b])


def _triangular(x: np.ndarray, c: np.ndarray) -> np.ndarray:

    lo, hi = float(x.min()), float(max(x.max(), c.max() if len(c) else 0.0))
    span = max(hi - lo, 1e-6)
    counts, edges = np.histogram(x, bins=20)
    mode0 = float(edges[np.argmax(counts)] + (edges[1] - edges[0]) / 2)

    def unpack(t: np.ndarray) -> tuple[float, float, float]:
        a = lo * (1.0 - _sigmoid(t[0]))  # in [0, lo)
        b = hi + span * math.exp(t[1])
        m = a + (b - a) * _sigmoid(t[2])
        return a, m, b

    def nll(t: np.ndarray) -> float:
        a, m, b = unpack(t)
        value = _triangular_logpdf(x, a, m, b).sum()
        if len(c):
            value += _triangular_logsf(c, a, m, b).sum()
        return -float(value)

    frac = min(max((mode0 - lo + 0.01 * span) / (1.02 * span), 0.02), 0.98)
    start = np.array(
        [_logit(0.01 * span / max(lo, 1e-6)) if lo > 0 else 0.0, math.log(0.01), _logit(frac)]
    )
    return np.array(unpack(_minimize(nll, start)))


def _triangular_logpdf(x: np.ndarray, a: float, m: float, b: float) -> np.ndarray:
    """Log density of the triangular distribution (numpy: scipy's is slow per call)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rising = np.log(2 * (x - a)) - math.log((b - a) * max(m - a, 1e-300))
        falling = np.log(2 * (b - x)) - math.log((b - a) * max(b - m, 1e-300))
        out = np.where(x < m, rising, falling)
    return np.where((x < a) | (x > b), -np.inf, out)


def _triangular_logsf(x: np.ndarray, a: float, m: float, b: float) -> np.ndarray:
    """Log survival function of the triangular distribution."""
    with np.errstate(divide="ignore", invalid="ignore"):
        below = np.log1p(-((x - a) ** 2) / ((b - a) * max(m - a, 1e-300)))
        above = 2 * np.log(np.maximum(b - x, 0.0)) - math.log((b - a) * max(b - m, 1e-300))
        out = np.where(x < m, below, above)
    return np.where(x <= a, 0.0, np.where(x >= b, -np.inf, out))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


_FITTERS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray | None]] = {
    "exponential": _exponential,
    "lognormal": _lognormal,
    "gamma": _gamma,
    "normal": _normal,
    "uniform": _uniform,
    "triangular": _triangular,
}


def _spec_exponential(t: np.ndarray) -> tuple[Any, dict[str, Any], int]:
    spec = {"dist": "exponential", "mean": float(t[0])}
    return frozen(spec), spec, 1


def _spec_lognormal(t: np.ndarray) -> tuple[Any, dict[str, Any], int]:
    mu, s = float(t[0]), math.exp(float(t[1]))
    mean = math.exp(mu + s * s / 2)
    spec = {"dist": "lognormal", "mean": mean, "sd": mean * math.sqrt(math.expm1(s * s))}
    return frozen(spec), spec, 2


def _spec_gamma(t: np.ndarray) -> tuple[Any, dict[str, Any], int]:
    k, theta = math.exp(float(t[0])), math.exp(float(t[1]))
    spec = {"dist": "gamma", "mean": k * theta, "sd": math.sqrt(k) * theta}
    return frozen(spec), spec, 2


def _spec_normal(t: np.ndarray) -> tuple[Any, dict[str, Any], int]:
    spec = {"dist": "normal", "mean": float(t[0]), "sd": math.exp(float(t[1]))}
    return frozen(spec), spec, 2


def _spec_uniform(t: np.ndarray) -> tuple[Any, dict[str, Any], int]:
    spec = {"dist": "uniform", "min": float(t[0]), "max": float(t[1])}
    return frozen(spec), spec, 2


def _spec_triangular(t: np.ndarray) -> tuple[Any, dict[str, Any], int]:
    spec = {"dist": "triangular", "min": float(t[0]), "mode": float(t[1]), "max": float(t[2])}
    return frozen(spec), spec, 3


_FROZEN: dict[str, Callable[[np.ndarray], tuple[Any, dict[str, Any], int]]] = {
    "exponential": _spec_exponential,
    "lognormal": _spec_lognormal,
    "gamma": _spec_gamma,
    "normal": _spec_normal,
    "uniform": _spec_uniform,
    "triangular": _spec_triangular,
}


def file_ks_p(spec: dict[str, Any], complete: np.ndarray) -> float | None:
    """The KS p-value of complete times against a park file's distribution, if continuous.

    The file's parameters are not estimated from the data, so the p-value is exact: a large
    one means the data do not reject the file's distribution. None for a family without a
    continuous form here (constant, empirical) or under 20 times.
    """
    from scipy import stats

    try:
        dist = frozen(spec)
    except (ValueError, KeyError):
        return None
    x = np.asarray(complete, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < MIN_SERVICES:
        return None
    return float(stats.kstest(x, dist.cdf).pvalue)
