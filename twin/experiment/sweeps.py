"""Parameter sweeps: a park replicated at every point of a one- or two-parameter grid.

``--vary "PATH=SPEC"`` names a place in the park (the path syntax of :mod:`twin.model.scenario`,
e.g. ``logistics.dock_groups[id=f1-docks].docks``) and the values to put there:

- ``A:B`` every integer from A to B, or ``A:B:STEP`` from A to B in steps of STEP (both ends
  included when the steps land on B; decimals allowed);
- ``A,B,C`` a list of values (numbers, or words such as ``exponential``);
- ``A`` a single value.

Every point runs the same replications with common random numbers, so the differences between
points are sharper than their intervals suggest. Pure: nothing here reads files or prints.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from twin.errors import UsageError
from twin.experiment.results import Experiment, kpi_stats
from twin.experiment.settings import Case, Settings
from twin.experiment.target import Target, target_result
from twin.language import Language, say, with_unit
from twin.model.labels import kpi_label
from twin.model.scenario import get_path, set_path
from twin.model.schema import Event, Park
from twin.sim.kpi import unit_of
from twin.sim.trace import pandas_module
from twin.stats import summarize
from twin.text import fmt

if TYPE_CHECKING:
    import pandas as pd

MAX_VALUES = 100
MAX_POINTS = 400
MAX_VARIES = 2

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Vary:
    """One parameter of a sweep: a park path and its values."""

    path: str
    values: tuple[Any, ...]
    text: str = ""

    @property
    def short(self) -> str:
        """The path's last field name, after the last id it selects: ``f2-docks.docks``."""
        field_name = re.split(r"[.\]]", self.path.rstrip("]"))[-1] or self.path
        ids = re.findall(r"\[\s*id\s*=\s*([^\]]+?)\s*\]", self.path)
        return f"{ids[-1]}.{field_name}" if ids and not self.path.endswith("]") else field_name


def _scalar(text: str) -> Any:
    """A list item: an int, a float, true/false, or the text itself."""
    item = text.strip().strip("'\"")
    if re.fullmatch(r"[+-]?\d+", item):
        return int(item)
    if _NUMBER.match(item):
        return float(item)
    if item.lower() in ("true", "false"):
        return item.lower() == "true"
    return item


def _split_assignment(text: str) -> tuple[str, str]:
    """Split ``PATH=SPEC`` at the first ``=`` outside brackets (paths may hold ``[id=X]``)."""
    depth = 0
    for k, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "=" and depth == 0:
            return text[:k].strip(), text[k + 1 :].strip()
    raise UsageError(
        f"`vary` '{text}': expected PATH=VALUES, e.g. "
        "`vary` 'logistics.dock_groups[id=f1-docks].docks=3:8' or `vary` 'PATH=2,4,8'"
    )


def _range(text: str, spec: str) -> tuple[Any, ...]:
    parts = [p.strip() for p in spec.split(":")]
    if len(parts) not in (2, 3) or not all(_NUMBER.match(p) for p in parts):
        raise UsageError(
            f"`vary` '{text}': a range is A:B or A:B:STEP with numbers (e.g. 3:8 or 0.5:2:0.25), "
            f"got '{spec}'"
        )
    integer = all(re.fullmatch(r"[+-]?\d+", p) for p in parts)
    start, stop = float(parts[0]), float(parts[1])
    step = float(parts[2]) if len(parts) == 3 else 1.0
    if step <= 0:
        raise UsageError(f"`vary` '{text}': the step must be positive, got {parts[2]}")
    if stop < start:
        raise UsageError(
            f"`vary` '{text}': a range A:B needs A <= B (values go up), got {parts[0]}:{parts[1]}"
        )
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_VALUES:
        raise UsageError(
            f"`vary` '{text}': {count} values; a sweep takes at most {MAX_VALUES} per parameter"
        )
    if integer:
        return tuple(int(start) + k * int(step) for k in range(count))
    return tuple(round(start + k * step, 10) for k in range(count))


def parse_vary(text: str) -> Vary:
    """Read one ``--vary "PATH=A:B[:STEP]|A,B,C"`` option.

    Args:
        text: the option's value.

    Returns:
        The path and its values, in the order given.

    Raises:
        UsageError: bad syntax, an empty or backwards range, repeated values, too many values.
    """
    path, spec = _split_assignment(text)
    if not path:
        raise UsageError(f"`vary` '{text}': the path before '=' is empty")
    if not spec:
        raise UsageError(f"`vary` '{text}': no values after '='")
    if "," in spec:
        items = [s for s in spec.split(",")]
        if any(not s.strip() for s in items):
            raise UsageError(f"`vary` '{text}': an empty value in the list '{spec}'")
        values = tuple(_scalar(s) for s in items)
    elif ":" in spec:
        values = _range(text, spec)
    else:
        values = (_scalar(spec),)
    if len(values) > MAX_VALUES:
        raise UsageError(f"`vary` '{text}': at most {MAX_VALUES} values per parameter")
    if len(set(map(repr, values))) != len(values):
        raise UsageError(f"`vary` '{text}': a value is listed twice")
    return Vary(path, values, text)


def parse_varies(texts: Sequence[str]) -> list[Vary]:
    """Read the ``--vary`` options of a sweep: one or two, on different paths."""
    if not texts:
        raise UsageError(
            "sweep needs `vary` PATH=VALUES, e.g. `vary` 'logistics.dock_groups[id=X].docks=3:8'"
        )
    if len(texts) > MAX_VARIES:
        raise UsageError(f"a sweep varies one or two parameters, got {len(texts)} `vary` options")
    varies = [parse_vary(t) for t in texts]
    if len({v.path for v in varies}) != len(varies):
        raise UsageError(f"`vary` names the same path twice: {varies[0].path}")
    points = math.prod(len(v.values) for v in varies)
    if points > MAX_POINTS:
        raise UsageError(f"the grid has {points} points; a sweep takes at most {MAX_POINTS}")
    return varies


def labels_of(varies: Sequence[Vary]) -> list[str]:
    """Column names for the parameters: the short field names, or the paths when they clash."""
    shorts = [v.short for v in varies]
    return shorts if len(set(shorts)) == len(shorts) else [v.path for v in varies]


def sweep_cases(
    park: Park, events: Sequence[Event], scenario: str | None, varies: Sequence[Vary]
) -> list[tuple[tuple[Any, ...], Case]]:
    """Every grid point (first parameter slowest) and the case to simulate there.

    Raises:
        InputError: a path that matches nothing, or a value the park does not accept
            (named ``--vary``, with the path and value).
    """
    for vary in varies:
        get_path(park, vary.path, source="`vary`")
    names = labels_of(varies)
    cases = []
    for point in itertools.product(*(v.values for v in varies)):
        changed = park
        for vary, value in zip(varies, point, strict=True):
            changed = set_path(changed, vary.path, value, source="`vary`")
        label = ", ".join(f"{n}={v}" for n, v in zip(names, point, strict=True))
        cases.append((point, Case(changed, tuple(events), scenario, label=label)))
    return cases


def _same_numbers(a: Experiment, b: Experiment) -> bool:
    if a.values.keys() != b.values.keys():
        return False
    return all(np.array_equal(a.values[k], b.values[k], equal_nan=True) for k in a.values)


def unchanged_parameters(
    varies: Sequence[Vary], points: Sequence[tuple[Any, ...]], experiments: Sequence[Experiment]
) -> list[str]:
    """Warnings for parameters whose values changed no KPI at all (bit-identical numbers).

    With common random numbers, a parameter the simulation does not read (a description, a
    field no process uses) gives the same numbers at every value: a sweep of it would look like
    a flat, trustworthy answer. Each such parameter is named so that the reader is told.
    """
    warnings = []
    for j, vary in enumerate(varies):
        if len(vary.values) < 2:
            continue
        groups: dict[tuple[Any, ...], list[Experiment]] = {}
        for point, experiment in zip(points, experiments, strict=True):
            groups.setdefault(point[:j] + point[j + 1 :], []).append(experiment)
        if all(all(_same_numbers(g[0], e) for e in g[1:]) for g in groups.values()):
            warnings.append(
                f"the parameter '{vary.text}' changed no KPI: every value gave exactly the same "
                "numbers (the simulation does not read this field, or the values act alike)"
            )
    return warnings


def default_kpis(varies: Sequence[Vary], known: Sequence[str]) -> list[str]:
    """The KPIs a sweep reports unless told: those of what is varied, then park-wide ones.

    A dock group's field brings that group's wait, queue and utilisation; a gate's its wait;
    a power or water field the park's power or water KPIs; always the trucks' wait and
    turnaround.
    """
    wanted: list[str] = []
    for vary in varies:
        for kind, fields in (
            ("dock_groups", ("wait_mean_min", "utilization", "queue_mean")),
            ("gates", ("wait_mean_min",)),
        ):
            for asset in re.findall(rf"{kind}\[id=([^\]]+)\]", vary.path):
                prefix = "docks" if kind == "dock_groups" else "gates"
                wanted += [f"{prefix}.{asset.strip()}.{f}" for f in fields]
    wanted += ["trucks.wait_mean_min", "trucks.turnaround_mean_min"]
    if any("power" in v.path for v in varies):
        wanted += ["power.peak_mw", "power.unserved_mwh"]
    if any("water" in v.path for v in varies):
        wanted += ["water.shortfall_m3", "wastewater.overflow_m3"]
    if any("flows" in v.path for v in varies):
        wanted += ["trucks.arrived", "trucks.completed"]
    return [k for k in dict.fromkeys(wanted) if k in known]


@dataclass
class Sweep:
    """The experiments of every grid point.

    Attributes:
        park: the park's name.
        scenario: the scenario applied under the grid, if any.
        varies: the parameters.
        points: the parameter values of each point, first parameter slowest.
        experiments: one experiment per point.
        kpis: the KPIs to show (table and chart).
        settings: the settings every point ran with.
        extra: what ``--warmup auto`` / ``-r auto`` chose, and completeness.
        target: a goal (``--target``) whose smallest meeting setting is marked.
        lang: the language of the summary and report.
        names: asset ids to names for people.
    """

    park: str
    scenario: str | None
    varies: list[Vary]
    points: list[tuple[Any, ...]]
    experiments: list[Experiment]
    kpis: list[str]
    settings: Settings
    extra: dict[str, Any] = field(default_factory=dict)
    target: Target | None = None
    lang: Language = "en"
    names: dict[str, str] = field(default_factory=dict)

    @property
    def replications(self) -> int:
        """Replications per point (a point where none finished has no values to count)."""
        return max((e.replications for e in self.experiments), default=0)

    def to_dict(self) -> dict[str, Any]:
        """The sweep.json document: every KPI at every point."""
        s = self.settings
        doc = {
            "park": self.park,
            "scenario": self.scenario,
            "seed": s.seed,
            "replications": self.replications,
            "horizon_days": s.days,
            "warmup_days": s.warmup_days,
            "vary": [{"path": v.path, "values": list(v.values)} for v in self.varies],
            "kpis": list(self.kpis),
            "points": [self._point_dict(k) for k in range(len(self.points))],
            **self.extra,
        }
        if self.target is not None:
            doc["target"] = self.target_result()
        doc["summary"] = {"lang": self.lang, "text": self.summary_lines()}
        missing = sorted({i for k in range(len(self.points)) for i in self.missing(k)})
        if missing:
            doc["complete"] = False
            doc["missing_replications"] = missing
        return doc

    def target_result(self) -> dict[str, Any] | None:
        """Each point against the target, and the smallest that meets it (None: no target)."""
        if self.target is None:
            return None
        kpi = self.target.kpi
        values = [e.values.get(kpi, []) for e in self.experiments]
        return target_result(self.target, self.points, values)

    def point_text(self, k: int) -> str:
        """A point's parameter values for people: ``docks = 20, lanes = 2``."""
        names = labels_of(self.varies)
        return ", ".join(f"{n} = {v}" for n, v in zip(names, self.points[k], strict=True))

    def summary_lines(self) -> list[str]:
        """The summary in words: the target's answer, then each shown KPI's range."""
        lang = self.lang
        lines = []
        result = self.target_result()
        if result is not None:
            assert self.target is not None
            if all(row["bound"] is None for row in result["points"]):
                lines.append(say("sweep.target_unjudged", lang, target=result["target"]))
            elif result["smallest"] is None:
                lines.append(say("sweep.target_unmet", lang, target=result["target"]))
            else:
                k = result["smallest"]
                row = result["points"][k]
                unit = unit_of(self.target.kpi)
                lines.append(
                    say("sweep.target_met", lang, target=result["target"], point=self.point_text(k),
                        what=kpi_label(self.target.kpi, lang, self.names),
                        value=with_unit(fmt(row["mean"], lang=lang), unit, lang),
                        bound=fmt(row["bound"], lang=lang))
                )  # fmt: skip
        for kpi in self.kpis:
            means = [summarize(e.values[kpi]).mean for e in self.experiments if kpi in e.values]
            known = [m for m in means if not math.isnan(m)]
            if not known:
                continue
            unit = unit_of(kpi)
            lines.append(
                say("sweep.range", lang, what=kpi_label(kpi, lang, self.names),
                    low=with_unit(fmt(min(known), lang=lang), unit, lang),
                    high=with_unit(fmt(max(known), lang=lang), unit, lang))
            )  # fmt: skip
        return lines

    def _point_dict(self, k: int) -> dict[str, Any]:
        """One point of sweep.json; an incomplete point lists its missing replications."""
        point = {
            "values": {v.path: x for v, x in zip(self.varies, self.points[k], strict=True)},
            "kpis": self.experiments[k].to_dict()["kpis"],
        }
        missing = self.missing(k)
        if missing:
            point["complete"] = False
            point["missing_replications"] = missing
        return point

    def missing(self, k: int) -> list[int]:
        """Replications of point `k` that did not finish (interrupted or failed)."""
        experiment = self.experiments[k]
        first = self.settings.first_replication
        return [
            first + r
            for r in range(self.replications)
            if all(r >= len(v) or math.isnan(v[r]) for v in experiment.values.values())
        ]

    def to_arrays(self) -> dict[str, np.ndarray]:
        """``points`` (a row of parameter values per point, first parameter slowest) and each
        KPI as a (points x replications) array (NaN where a point lacks the KPI)."""
        out: dict[str, np.ndarray] = {"points": np.array(self.points)}
        names = dict.fromkeys(k for e in self.experiments for k in e.values)
        reps = self.replications
        for name in names:
            out[name] = np.array(
                [e.values.get(name, [np.nan] * reps) for e in self.experiments], dtype=float
            )
        return out

    def to_frame(self, replications: bool = False) -> pd.DataFrame:
        """A row per grid point and KPI: a column per varied parameter, then ``kpi``, ``unit``,
        ``mean``, ``std``, ``ci95_low``, ``ci95_high``, ``replications``.

        Args:
            replications: instead, ``replication`` and ``value`` columns (a row per value).
        """
        pd = pandas_module()
        names = labels_of(self.varies)
        rows: list[dict[str, Any]] = []
        for point, experiment in zip(self.points, self.experiments, strict=True):
            params = dict(zip(names, point, strict=True))
            if replications:
                rows += [
                    {**params, "replication": i, "kpi": k, "value": v}
                    for _, i, k, v in experiment.long_rows("")
                ]
            else:
                rows += [{**params, **kpi_stats(k, v)} for k, v in experiment.values.items()]
        return pd.DataFrame(rows)
