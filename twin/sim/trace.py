"""The recorded run: truck visits and utility time series as columnar numpy arrays.

A :class:`Trace` holds everything the KPIs and the 3D playback need, so neither has to simulate
again. It saves to and loads from one ``.npz`` file (no pickles).

Times are simulated minutes from the start of the horizon; the warm-up has negative times.
Truck columns (one row per truck visit, in arrival order of each flow, flows one after another):

========== ==========================================================================
column      meaning
========== ==========================================================================
flow        index into ``names["flows"]``
gate        index into ``names["gates"]``
dock_group  index into ``names["dock_groups"]``
arrive      arrival at the gate queue
gate_start  start of gate service (= arrive for a gate with no delay)
gate_end    end of gate service; the truck drives to its building
dock_arrive arrival at the dock group's queue
dock_start  start of service at a dock
dock_end    end of service; the truck drives back to the gate
exit        leaves the park through the gate
========== ==========================================================================

A time that did not happen before the end of the run is NaN.

Series (``series[name]``) are sampled on the grid ``edges`` (step k is ``edges[k]..edges[k+1]``);
per-asset series have one column per asset in ``names`` order. Rates (kW, m³/h) are averages
over the step, amounts (m³, units) totals over it, levels (m³) values at the step's end.

Every array is plain numpy: ``trace.trucks["dock_start"]``, ``trace.series["feeder_load_kw"]``,
or all of them at once with :meth:`Trace.to_arrays`. With pandas installed (it is optional),
:meth:`Trace.trucks_frame` and :meth:`Trace.series_frame` give the same data as DataFrames with
asset ids for names.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from twin.errors import InputError
from twin.io.inputs import read_park
from twin.io.output import atomic_write_bytes
from twin.io.result_folder import check_same_run

if TYPE_CHECKING:
    import pandas as pd

TIME_COLUMNS = (
    "arrive",
    "gate_start",
    "gate_end",
    "dock_arrive",
    "dock_start",
    "dock_end",
    "exit",
)
INDEX_COLUMNS = ("flow", "gate", "dock_group")
INDEX_DTYPE = np.int32
"""Type of the index columns: int16 would wrap or fail past 32,767 assets."""
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Trace:
    """One replication's record; see the module docstring for the columns."""

    meta: dict[str, Any]
    names: dict[str, list[str]]
    trucks: dict[str, np.ndarray]
    edges: np.ndarray
    series: dict[str, np.ndarray]
    park_json: str = ""
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def horizon_min(self) -> float:
        """Length of the horizon (after the warm-up), minutes."""
        return float(self.meta["horizon_min"])

    @property
    def warmup_min(self) -> float:
        """Length of the warm-up before time 0, minutes."""
        return float(self.meta["warmup_min"])

    @property
    def n_trucks(self) -> int:
        """Number of truck visits that arrived during the run (warm-up included)."""
        return len(self.trucks["arrive"])

    @cached_property
    def park(self) -> Any:
        """The resolved park this trace was simulated from (parsed once)."""
        return read_park(json.loads(self.park_json))

    def remember_park(self, park: Any) -> None:
        """Give :attr:`park` the park object that :attr:`park_json` was written from.

        The engine does this, so that KPIs computed from the trace (every replication's) do
        not parse and validate the park again; a trace read from a file still parses its own.
        """
        self.__dict__["park"] = park

    @property
    def holds_park(self) -> bool:
        """Whether :attr:`park` is at hand (given, or parsed already) rather than still to parse."""
        return "park" in self.__dict__

    def __getstate__(self) -> dict[str, Any]:
        """What pickling keeps: everything but the park object, which :attr:`park_json` holds.

        A trace goes back from a worker process with its replication's KPIs; its park is
        most of the pickling time and the receiver already has it (:meth:`remember_park`)
        or parses it from :attr:`park_json` on first use.
        """
        return {k: v for k, v in self.__dict__.items() if k != "park"}

    def index(self, kind: str, asset_id: str) -> int:
        """Column of an asset in the series of its kind."""
        return self.names[kind].index(asset_id)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Every array of the trace, named as in its ``.npz`` file.

        Returns:
            ``edges`` (the grid, one more than the steps), ``trucks/<column>`` (one value per
            truck visit), ``series/<name>`` (one row per grid step) and ``extra/<name>``
            (plugins' own columns). The arrays are the trace's own, not copies: do not modify
            them.
        """
        arrays: dict[str, np.ndarray] = {"edges": self.edges}
        arrays.update({f"trucks/{k}": v for k, v in self.trucks.items()})
        arrays.update({f"series/{k}": v for k, v in self.series.items()})
        arrays.update({f"extra/{k}": v for k, v in self.extra.items()})
        return arrays

    def series_columns(self, name: str) -> list[str]:
        """What the columns of a series are: asset ids, or ``[name]`` for a park-wide series.

        The kind of asset is the one of :attr:`names` with as many assets as the series has
        columns, preferring the kind whose name starts the series' name
        (``building_power_demand_kw`` has one column per building). Columns of a kind that
        cannot be told are numbered ``"0"``, ``"1"``, ...

        Raises:
            KeyError: no series of that name (the message lists those there are).
        """
        values = self._series(name)
        if values.ndim == 1:
            return [name]
        width = values.shape[1]
        kinds = [k for k, ids in self.names.items() if len(ids) == width]
        stem = [k for k in kinds if name.startswith(_kind_stem(k) + "_")]
        chosen = stem or (kinds if len(kinds) == 1 else [])
        if chosen:
            return list(self.names[chosen[0]])
        return [str(j) for j in range(width)]

    def series_frame(self, name: str, calendar: bool = False) -> pd.DataFrame:
        """One grid series as a DataFrame: a row per grid step, a column per asset.

        Args:
            name: a key of :attr:`series`, e.g. ``building_power_demand_kw``.
            calendar: index the rows by the calendar time at the start of each step (from the
                park's ``start``) instead of by simulated minutes.

        Returns:
            Rows indexed by the start of each step (``t_min``, minutes from the start of the
            horizon, negative in the warm-up; or ``time``), with a column ``step_min`` (the
            step's length) and one column per asset id (see :meth:`series_columns`).

        Raises:
            ImportError: pandas is not installed.
            KeyError: no series of that name.
        """
        pd = pandas_module()
        values = self._series(name)
        columns = self.series_columns(name)
        data = values.reshape(len(values), -1)
        frame = pd.DataFrame(data, columns=columns)
        frame.insert(0, "step_min", np.diff(self.edges))
        frame.index = self._time_index(self.edges[:-1], calendar)
        return frame

    def trucks_frame(self, calendar: bool = False) -> pd.DataFrame:
        """The truck visits as a DataFrame: one row per visit, columns as in the module doc.

        ``flow``, ``gate`` and ``dock_group`` hold the assets' ids (categorical) instead of
        indices; the times are minutes from the start of the horizon (NaN: did not happen
        before the end of the run), or calendar times (NaT) with `calendar`.

        Raises:
            ImportError: pandas is not installed.
        """
        pd = pandas_module()
        data: dict[str, Any] = {}
        for column in INDEX_COLUMNS:
            ids = self.names.get(_INDEX_KINDS[column], [])
            codes = self.trucks[column].astype(np.int64)
            data[column] = pd.Categorical.from_codes(codes, categories=ids)
        for column in TIME_COLUMNS:
            times = self.trucks[column]
            data[column] = self._time_index(times, calendar) if calendar else times
        for column, values in self.trucks.items():
            if column not in data:
                data[column] = values
        return pd.DataFrame(data)

    def _series(self, name: str) -> np.ndarray:
        if name not in self.series:
            raise KeyError(f"no series '{name}' in the trace (series: {', '.join(self.series)})")
        return self.series[name]

    def _time_index(self, minutes: np.ndarray, calendar: bool) -> Any:
        pd = pandas_module()
        if not calendar:
            return pd.Index(minutes, name="t_min")
        start = pd.Timestamp(str(self.meta.get("start") or "1970-01-01"))
        return pd.DatetimeIndex(start + pd.to_timedelta(minutes, unit="min"), name="time")

    def nbytes(self) -> int:
        """Memory held by the arrays."""
        arrays = [*self.trucks.values(), *self.series.values(), self.edges, *self.extra.values()]
        return sum(a.nbytes for a in arrays)

    def save(self, path: str | Path) -> Path:
        """Write the trace to one ``.npz`` file atomically; return its path."""
        path = Path(path)
        arrays: dict[str, np.ndarray] = {
            "edges": self.edges,
            "header": np.array(
                json.dumps(
                    {"format": FORMAT_VERSION, "meta": self.meta, "names": self.names},
                    ensure_ascii=False,
                )
            ),
            "park_json": np.array(self.park_json),
        }
        arrays.update({f"trucks/{k}": v for k, v in self.trucks.items()})
        arrays.update({f"series/{k}": v for k, v in self.series.items()})
        arrays.update({f"extra/{k}": v for k, v in self.extra.items()})
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return atomic_write_bytes(path, buffer.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        """Read a trace written by :meth:`save`."""
        path = Path(path)
        if path.is_dir():
            path = path / "trace.npz"
            if path.is_file():
                check_same_run(path.parent, path.name)
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(str(data["header"]))
                groups: dict[str, dict[str, np.ndarray]] = {"trucks": {}, "series": {}, "extra": {}}
                for key in data.files:
                    group, _, name = key.partition("/")
                    if group in groups:
                        groups[group][name] = data[key]
                edges = data["edges"]
                park_json = str(data["park_json"])
                stamp = {"run_id": str(data["run_id"])} if "run_id" in data.files else {}
            meta = {**header["meta"], **stamp}
        except FileNotFoundError:
            raise InputError(str(path), "trace file not found (run with `out` DIR first)") from None
        except IsADirectoryError:
            raise InputError(str(path), "is a folder, expected a trace.npz file") from None
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile,
                zlib.error) as exc:  # fmt: skip
            detail = str(exc) or type(exc).__name__
            raise InputError(
                str(path), f"cannot be read as a parktwin trace (damaged or not one: {detail})"
            ) from None
        if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
            raise InputError(str(path), "is not a trace of this parktwin version (format)")
        return cls(
            meta=meta,
            names=header["names"],
            trucks=groups["trucks"],
            edges=edges,
            series=groups["series"],
            park_json=park_json,
            extra=groups["extra"],
        )


_INDEX_KINDS = {"flow": "flows", "gate": "gates", "dock_group": "dock_groups"}


def _kind_stem(kind: str) -> str:
    """``buildings`` -> ``building``, ``dock_groups`` -> ``dock``, ``ev_hubs`` -> ``ev``."""
    return kind.split("_")[0] if "_" in kind else kind.removesuffix("s")


def pandas_module() -> Any:
    """pandas, imported on first use: it is optional."""
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "DataFrames need pandas, which parktwin does not install by itself: "
            "pip install pandas (the numpy arrays need nothing: Trace.to_arrays())"
        ) from None
    return pandas


def occupancy_integral(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Integral of "how many of the intervals ``[starts, ends)`` are open" over each grid step.

    Divided by the step length this is the time-average count (queue length, busy docks) in
    each step. NaN ends mean "still open at the end of the run"; NaN starts are ignored.
    Vectorised: sorts once and uses cumulative sums, so it costs O((n + m) log n).
    """
    keep = ~np.isnan(starts)
    starts = np.sort(starts[keep])
    ends = np.sort(np.where(np.isnan(ends[keep]), np.inf, ends[keep]))

    def integral(points: np.ndarray, t: np.ndarray) -> np.ndarray:
        # sum over points p < t of (t - p)
        finite = points[np.isfinite(points)]
        count = np.searchsorted(finite, t, side="left")
        partial = np.concatenate([[0.0], np.cumsum(finite)])
        return t * count - partial[count]

    total = integral(starts, edges) - integral(ends, edges)
    return np.diff(total)
