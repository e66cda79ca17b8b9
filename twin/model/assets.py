"""Asset families: the engine's one extension point, used by the built-in families too.

An asset family is what parktwin knows about one kind of asset: how park files describe it,
what it does during a run, what it records and which KPIs it reports. The engine knows no
family by name; it runs every registered family in `order`:

1. ``start(ctx, env)``: add SimPy processes to the environment (optional); returns a state.
2. ``finish(ctx, state, record)``: after the run, write truck columns, grid series and
   metadata into the :class:`Recorder` (families later in the order can read what earlier ones
   wrote: power reads the buildings' demand and any family's feeder loads).
3. ``kpis(trace)``: the family's KPIs from the finished trace, named ``<family>.<id>.<metric>``;
   ``kpi_names(park)`` declares them without a run (for ``--kpi`` checks and sweep defaults).

Built-in families (`logistics`, `buildings`, `power`, `water`, :mod:`twin.sim.families`)
describe their assets in the park's own sections; they are declared in the same entry point
group as plugins (pyproject.toml), so this module never imports them. A plugin family
describes its assets under ``extensions.<name>`` in the
park file, one item per asset, validated by its pydantic `spec` (so park files, `parktwin
validate` and the JSON Schema know it). Register a family in code with :func:`register`, or
from another package through the ``parktwin.assets`` entry point group (the entry point names
an :class:`AssetFamily` object).

A plugin that draws power calls ``ctx.add_feeder_load(feeder_id, kw_per_step)`` in `finish`
before the power family runs; the load is then served, cut and counted like a building's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ValidationError

from twin.errors import PluginError
from twin.model.schema import Park, Problem, Scenario, dangling, duplicate_ids

if TYPE_CHECKING:
    import simpy

    from twin.sim.context import SimContext
    from twin.sim.trace import Trace

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
        kpi_names: the names `kpis` reports for a park, in its order, known without a run.
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
    kpi_names: Callable[[Park], list[str]] | None = None
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
    """Every registered family, in run order (built-ins and entry-point plugins included).

    Raises:
        PluginError: an entry point of the ``parktwin.assets`` group fails to load.
    """
    _load_entry_points()
    return sorted(_registry.values(), key=lambda f: (f.order, f.name))


def family(name: str) -> AssetFamily | None:
    """The registered family of that name, or None."""
    return next((f for f in families() if f.name == name), None)


def _load_entry_points() -> None:
    """Register every family of the entry point group, once (again after a failure)."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    points = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name)
    if not any(p.name == "logistics" for p in points):
        raise PluginError(
            "the built-in asset families are not registered: parktwin's package metadata "
            "(entry points) is missing; install it with `pip install -e .` or `bash "
            "scripts/setup.sh`"
        )
    for point in points:
        register(_load_family(point), replace=True)
    _entry_points_loaded = True


def _load_family(point: EntryPoint) -> AssetFamily:
    """The family an entry point names (an AssetFamily, or a callable that returns one)."""
    dist = point.dist
    where = f"plugin '{point.name}' ({point.value}) of distribution '{dist.name if dist else '?'}'"
    try:
        loaded = point.load()
        family = loaded() if callable(loaded) and not isinstance(loaded, AssetFamily) else loaded
    except Exception as exc:
        raise PluginError(
            f"{where} failed to load: {type(exc).__name__}: {exc} (fix it, or uninstall it "
            f"with `pip uninstall {dist.name if dist else point.name}`)"
        ) from exc
    if not isinstance(family, AssetFamily):
        raise PluginError(f"{where} is not an AssetFamily but {type(family).__name__}")
    return family


# --------------------------------------------------------------------------- park files


def extension_problems(park: Park) -> Iterator[Problem]:
    """Plugin assets: a registered family, each item valid for its spec, unique ids."""
    if not park.extensions:
        return
    plugins = {f.name: f for f in families() if f.spec is not None}
    for name, items in park.extensions.items():
        family = plugins.get(name)
        if family is None or family.spec is None:
            yield Problem(("extensions", name), dangling("asset family", name, plugins))
            continue
        parsed = []
        for i, item in enumerate(items):
            try:
                parsed.append(family.spec.model_validate(item))
            except ValidationError as exc:
                err = exc.errors()[0]
                yield Problem(("extensions", name, i, *err["loc"]), err["msg"])
        if len(parsed) == len(items):
            yield from duplicate_ids(parsed, ("extensions", name))
            if family.check is not None:
                for loc, message in family.check(park, parsed):
                    yield Problem(("extensions", name, *loc), message)


def json_schema(scenario: bool = False) -> dict[str, Any]:
    """The JSON Schema of the park (or scenario) file format, plugin families' assets included."""
    model = Scenario if scenario else Park
    schema = model.model_json_schema(by_alias=True)
    if not scenario:
        plugins = {}
        for family in families():
            if family.spec is not None:
                base = f"#/properties/extensions/properties/{family.name}/items"
                item = family.spec.model_json_schema(ref_template=base + "/$defs/{model}")
                plugins[family.name] = {"type": "array", "items": item}
        schema["properties"]["extensions"] = {
            "type": "object",
            "description": "assets of plugin families, by family name",
            "properties": plugins,
            "additionalProperties": False,
        }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
