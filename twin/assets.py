"""Asset families: the engine's one extension point, used by the built-in families too.

An asset family is what parktwin knows about one kind of asset: how park files describe it,
what it does during a run, what it records and which KPIs it reports. The engine knows no
family by name; it runs every registered family in `order`:

1. ``start(ctx, env)``: add SimPy processes to the environment (optional); returns a state.
2. ``finish(ctx, state, record)``: after the run, write truck columns, grid series and
   metadata into the :class:`Recorder` (families later in the order can read what earlier ones
   wrote: power reads the buildings' demand and any family's feeder loads).
3. ``kpis(trace)``: the family's KPIs from the finished trace, named ``<family>.<id>.<metric>``.

Built-in families (`logistics`, `buildings`, `power`, `water`) describe their assets in the
park's own sections. A plugin family describes its assets under ``extensions.<name>`` in the
park file, one item per asset, validated by its pydantic `spec` (so park files, `parktwin
validate` and the JSON Schema know it). Register a family in code with :func:`register`, or
from another package through the ``parktwin.assets`` entry point group (the entry point names
an :class:`AssetFamily` object).

A plugin that draws power calls ``ctx.add_feeder_load(feeder_id, kw_per_step)`` in `finish`
before the power family runs; the load is then served, cut and counted like a building's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

if TYPE_CHECKING:
    import simpy

    from twin.schema import Park
    from twin.sim.context import SimContext
    from twin.trace import Trace

ENTRY_POINT_GROUP = "parktwin.assets"


@dataclass
class Recorder:
    """What families write during `finish`; frozen into a Trace by the engine."""

    trucks: dict[str, np.ndarray] = field(default_factory=dict)
    series: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # plugins' own columns


@dataclass(frozen=True)
class AssetFamily:
    """One kind of asset: its spec, its behaviour in a run, and its KPIs.

    Attributes:
        name: the family's name; plugin assets live under ``extensions.<name>`` in park files.
        spec: pydantic model of one asset of a plugin family (None for built-in families).
        order: when the family runs relative to the others (built-ins: logistics 10,
            buildings 20, power 80, water 90; plugins default to 50, before power).
        start: adds SimPy processes; called before the run with ``(ctx, env)``.
        finish: records results; called after the run with ``(ctx, state, recorder)``.
        kpis: the family's KPIs from a finished trace.
        check: cross-checks of a plugin's parsed assets against the park (e.g. the feeder it
            names exists); returns (place under ``extensions.<name>``, message) pairs.
        units: unit of each KPI metric name (last part of the KPI name) the family adds.
        description: one line for `parktwin` listings and the docs.
    """

    name: str
    spec: type[BaseModel] | None = None
    order: int = 50
    start: Callable[[SimContext, simpy.Environment], Any] | None = None
    finish: Callable[[SimContext, Any, Recorder], None] | None = None
    kpis: Callable[[Trace], dict[str, float]] | None = None
    check: Callable[[Park, list[Any]], list[tuple[tuple[str | int, ...], str]]] | None = None
    units: dict[str, str] = field(default_factory=dict)
    description: str = ""

    def items(self, park: Park) -> list[Any]:
        """This family's assets in a park, parsed with its spec."""
        if self.spec is None:
            return []
        raw = (park.extensions or {}).get(self.name, [])
        return [self.spec.model_validate(item) for item in raw]


_registry: dict[str, AssetFamily] = {}
_entry_points_loaded = False


def register(family: AssetFamily, replace: bool = False) -> AssetFamily:
    """Make a family known to the engine, the park format and the KPIs; returns it."""
    if family.name in _registry and not replace and _registry[family.name] is not family:
        raise ValueError(f"an asset family named '{family.name}' is already registered")
    _registry[family.name] = family
    return family


def unregister(name: str) -> None:
    """Forget a family (for tests and notebooks)."""
    _registry.pop(name, None)


def families() -> list[AssetFamily]:
    """Every registered family, in run order (built-ins and entry-point plugins included)."""
    _load_builtins()
    _load_entry_points()
    return sorted(_registry.values(), key=lambda f: (f.order, f.name))


def family(name: str) -> AssetFamily | None:
    """The registered family of that name, or None."""
    return next((f for f in families() if f.name == name), None)


def _load_builtins() -> None:
    import twin.sim.families  # noqa: F401  (registers the built-in families on import)


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for point in entry_points(group=ENTRY_POINT_GROUP):
        loaded = point.load()
        register(loaded() if callable(loaded) and not isinstance(loaded, AssetFamily) else loaded)
