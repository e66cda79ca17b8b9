"""Apply a scenario's changes to a park, and check its events against the result.

Pure: no files are read. The park is turned into plain data
(``park.model_dump(mode="json", by_alias=True, exclude_none=True)``), the changes edit that data
in order, and the result is validated as a :class:`Park` again, so a scenario can never produce a
park that a park file could not describe.

Paths
-----
A path names places in the park's data, the way the park file spells them:

- ``a.b.c``: dotted field names, e.g. ``park.name``, ``water.supply.capacity_m3h``;
- ``[N]``: the N-th item of a list, counting from 0 (``[-1]`` is the last);
- ``[*]``: every item of a list;
- ``[id=X]``: the item whose ``id`` is X; more generally ``[FIELD=X]`` selects the items whose
  (text) field equals X, e.g. ``logistics.flows[gate=g1]``.

Examples: ``logistics.flows[*].rate_per_hour``, ``logistics.dock_groups[id=f1-docks].docks``,
``buildings[id=f7]``, ``buildings[id=f1].power.shift_kw``, ``buildings[id=f1].shifts[0].end``.

Under ``[*]`` (or a ``[FIELD=X]`` that selects several items) a field is looked for in every item
and items without it are passed over: ``logistics.flows[*].rate_per_hour`` scales the flows given
by a rate and leaves those given by an hourly profile alone. A path that matches nothing at all is
an error that says what was not found, with a did-you-mean among the names that exist. A path is
at most 1,000 characters.

Changes
-------
- ``{set: PATH, value: V}`` puts V at every matched place. The last field may be missing on an
  existing object (e.g. adding ``hours`` to a dock group), as long as the park format has it.
- ``{scale: PATH, by: X}`` multiplies the number at every matched place by X, or every number of
  a list of numbers (an ``hourly_profile``). Integer fields (``docks``, ``lanes``) are rounded to
  the nearest integer (halves up); the park's own rules then apply (at least one dock). A
  product too large for a number (beyond about 1.8e308) is an error.
- ``{add: PATH, value: ITEM}`` appends ITEM to the list at PATH (``buildings``,
  ``logistics.flows``, ``power.feeders``, ``buildings[id=f1].shifts``, ...). Missing sections on
  the way (``power``, ``logistics.roads``) are created. An item whose id is already in the list
  is an error.
- ``{remove: PATH}`` deletes the matched list items (``buildings[id=f7]``), or the matched
  optional field (``buildings[id=f1].production``). Nothing else is removed with it: a scenario
  that removes a building also removes its dock groups and their flows.

All the changes of a scenario reach at most 200,000 places of the park, counting a value written
by ``set`` or ``add`` once for each number, text, list and mapping in it (at each place).

Events are not changes: they are checked here (an outage names a substation, feeder or gate of
the resulting park, or ``water.supply`` / ``water.wastewater``; a rate event names a flow, at
most one per flow and moment) and the engine reads ``scenario.events`` itself. An event that
starts after the simulated horizon would change nothing, so every command refuses it (exit 2;
HTTP 400 on the web page), naming the event and the ``--days`` that would cover it.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import re
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from twin.errors import InputError, ParktwinError
from twin.model.checks import check_park
from twin.model.schema import (
    AddChange,
    Change,
    Event,
    OutageEvent,
    Park,
    RateEvent,
    RemoveChange,
    ScaleChange,
    Scenario,
    SetChange,
)
from twin.model.validate import fields_at, model_at, union_members, validate_data

__all__ = [
    "PathError",
    "apply_change",
    "apply_scenario",
    "check_events",
    "check_horizon",
    "days_for_events",
    "find_places",
    "get_path",
    "parse_path",
    "set_path",
]

WATER_ASSETS = ("water.supply", "water.wastewater")
"""Outage targets that are not ids: the park's water supply and its wastewater plant."""

Mode = Literal["get", "set", "add"]

MAX_PATH_CHARS = 1000
"""Longest path read: the park format's deepest places are about 100 characters deep."""
MAX_REACH = 200_000
"""Most places (and values written there) all the changes of one scenario may reach: about ten
seconds of work, and twenty wildcard changes over the 10,000 items a list may hold."""


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Step:
    """One step of a path: a field name, a list index, every item, or items with a field value.

    Attributes:
        kind: ``"field"``, ``"index"``, ``"all"`` or ``"match"``.
        key: the field name (``field``, ``match``) or the index (``index``).
        value: for ``match``, the value the field must have.
        before: the path text before this step, for messages.
    """

    kind: Literal["field", "index", "all", "match"]
    key: str | int = ""
    value: str = ""
    before: str = ""


_TOKEN = re.compile(
    r"(?P<dot>\.)?(?P<field>[A-Za-z_][A-Za-z0-9_]*)"
    r"|\[\s*(?:(?P<all>\*)|(?P<index>-?\d+)"
    r"|(?P<mfield>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<mvalue>[^\]]*?))\s*\]"
)


class PathError(ParktwinError, ValueError):
    """A path that cannot be parsed, or that matches nothing; the message says why."""


def parse_path(text: str) -> list[Step]:
    """Split a path such as ``logistics.dock_groups[id=f1-docks].docks`` into steps.

    Args:
        text: the path, in the syntax of this module's docstring.

    Returns:
        The steps, first to last.

    Raises:
        PathError: when the text is not a path.
    """
    steps: list[Step] = []
    pos = 0
    text = text.strip()
    if not text:
        raise PathError("the path is empty")
    if len(text) > MAX_PATH_CHARS:
        raise PathError(
            f"the path is {len(text):,} characters long; a path is at most {MAX_PATH_CHARS:,}"
        )
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or (match["field"] and bool(match["dot"]) != bool(steps)):
            raise PathError(
                f"cannot read path '{text}' at character {pos + 1} ('{text[pos:][:12]}'): "
                "expected a field name, '.field', '[N]', '[*]' or '[id=X]'"
            )
        before = text[:pos]
        if match["field"]:
            steps.append(Step("field", match["field"], before=before))
        elif match["all"]:
            steps.append(Step("all", before=before))
        elif match["index"] is not None:
            steps.append(Step("index", int(match["index"]), before=before))
        else:
            value = match["mvalue"].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            steps.append(Step("match", match["mfield"], value, before=before))
        pos = match.end()
    if steps[0].kind != "field":
        raise PathError(f"path '{text}' must start with a field name, e.g. 'buildings'")
    return steps


@dataclass(frozen=True)
class Place:
    """A place in the data: ``container[key]``, at field path ``loc`` from the park's root."""

    container: dict[str, Any] | list[Any]
    key: str | int
    loc: tuple[str | int, ...]

    @property
    def exists(self) -> bool:
        """Whether something is at the place (a missing field can still be set)."""
        return isinstance(self.container, list) or self.key in self.container

    def get(self) -> Any:
        """The value at the place."""
        return self.container[self.key]  # type: ignore[index]

    def put(self, value: Any) -> None:
        """Store a value at the place."""
        self.container[self.key] = value  # type: ignore[index]


def find_places(
    data: dict[str, Any], path: str | Sequence[Step], mode: Mode = "get"
) -> list[Place]:
    """Every place a path matches in park data.

    Args:
        data: park data, as dumped by ``Park.model_dump(mode="json", by_alias=True)``.
        path: the path text or its parsed steps.
        mode: ``"get"`` wants places that exist; ``"set"`` also accepts a missing last field the
            park format has; ``"add"`` also creates missing sections on the way.

    Returns:
        The matched places, in data order (never empty).

    Raises:
        PathError: when the path cannot be read or matches nothing.
    """
    steps = parse_path(path) if isinstance(path, str) else list(path)
    nodes: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    places: list[Place] = []
    for n, step in enumerate(steps):
        last = n == len(steps) - 1
        places = []
        misses: list[str] = []
        for value, loc in nodes:
            try:
                places.extend(_step(data, value, loc, step, mode if last else _inner(mode)))
            except PathError as miss:
                misses.append(str(miss))
        if not places:
            raise PathError(misses[0] if misses else "the path matches nothing")
        if not last:
            for place in places:
                if not place.exists:  # only in "add" mode: create the missing section
                    place.put({} if steps[n + 1].kind == "field" else [])
            nodes = [(place.get(), place.loc) for place in places]
    return places


def _inner(mode: Mode) -> Mode:
    """Before the last step only `add` may create what is missing."""
    return "add" if mode == "add" else "get"


def _step(
    root: dict[str, Any], value: Any, loc: tuple[str | int, ...], step: Step, mode: Mode
) -> list[Place]:
    where = f"'{step.before}'" if step.before else "the park"
    if step.kind == "field":
        key = str(step.key)
        if not isinstance(value, dict):
            raise PathError(f"{where} is {_describe(value)}, so it has no field '{key}'")
        if key in value:
            return [Place(value, key, (*loc, key))]
        known = fields_at(Park, loc, root) if _has_model(root, loc) else []
        if known and key not in known:
            raise PathError(
                f"{where} has no field '{key}'{_hint(key, known)} (fields: {', '.join(known)})"
            )
        if mode == "get":
            raise PathError(f"{where} has no '{key}' (it is not given there)")
        return [Place(value, key, (*loc, key))]
    if not isinstance(value, list):
        raise PathError(f"{where} is {_describe(value)}, not a list, so '[...]' selects nothing")
    if step.kind == "all":
        if not value:
            raise PathError(f"{where} is an empty list, so '[*]' matches nothing")
        return [Place(value, i, (*loc, i)) for i in range(len(value))]
    if step.kind == "index":
        index = int(step.key)
        if not -len(value) <= index < len(value):
            raise PathError(f"index {index} is out of range: {where} has {len(value)} items")
        index %= len(value)
        return [Place(value, index, (*loc, index))]
    field = str(step.key)
    found = [
        Place(value, i, (*loc, i))
        for i, item in enumerate(value)
        if isinstance(item, dict) and field in item and str(item[field]) == step.value
    ]
    if not found:
        known = list(
            dict.fromkeys(str(i[field]) for i in value if isinstance(i, dict) and field in i)
        )
        raise PathError(
            f"no item with {field} '{step.value}' in {where}{_hint(step.value, known)} "
            f"(known {field}s: {_listing(known)})"
        )
    return found


def _has_model(root: dict[str, Any], loc: tuple[str | int, ...]) -> bool:
    """Whether the park format describes the object at `loc` (not a free-form mapping)."""
    owner = model_at(Park, loc, root)
    return isinstance(owner, type) and hasattr(owner, "model_fields")


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _listing(names: Iterable[str], limit: int = 20) -> str:
    names = list(names)
    return ", ".join(names[:limit]) + (" ..." if len(names) > limit else "") if names else "none"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a section"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    text = repr(value)
    return f"the value {text if len(text) <= 40 else text[:37] + '...'}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bare_type(tp: Any) -> Any:
    """An annotation without Annotated and Optional (None for a union of several types)."""
    while True:
        tp, members = union_members(tp)
        if members is None:
            return tp
        if len(members) != 1:
            return None
        tp = members[0]


def _is_int_type(tp: Any) -> bool:
    """Whether a schema annotation is an integer (through Annotated and Optional)."""
    return _bare_type(tp) is int


def _element_type(tp: Any) -> Any:
    """The item annotation of a list annotation (through Annotated and Optional), or None."""
    bare = _bare_type(tp)
    return typing.get_args(bare)[0] if typing.get_origin(bare) is list else None


def _scaled(value: float, by: float, integer: bool | None) -> int | float:
    """`value * by`, to 12 significant digits (so 3 x 1.3 is 3.9, not 3.9000000000000004).

    An integer field rounds to the nearest integer, halves up; a field the park format does not
    describe (under `metadata`) keeps a whole integer an integer. A product beyond the range of
    floats is infinite.
    """
    try:
        result = float(f"{value * by:.12g}")
    except OverflowError:  # an integer beyond the range of floats
        result = math.inf
    if not math.isfinite(result):
        return result  # the caller refuses it
    if integer or (integer is None and isinstance(value, int) and result.is_integer()):
        return math.floor(result + 0.5)
    return result


# --------------------------------------------------------------------------- changes


def _path_of(change: Change) -> str:
    if isinstance(change, SetChange):
        return change.set
    if isinstance(change, ScaleChange):
        return change.scale
    if isinstance(change, AddChange):
        return change.add
    return change.remove


def _verb(change: Change) -> str:
    return type(change).__name__.removesuffix("Change").lower()


def apply_change(data: dict[str, Any], change: Change, index: int, source: str) -> dict[str, Any]:
    """Apply one change to park data, in place.

    Args:
        data: park data (``Park.model_dump(mode="json", by_alias=True, exclude_none=True)``);
            it is edited in place.
        change: the change to apply.
        index: the change's position in the scenario, for messages (``changes[index]``).
        source: the scenario file, for messages.

    Returns:
        `data`, changed. It is not validated: several changes may together be needed to get a
        valid park again (remove a building, then its dock groups).

    Raises:
        InputError: when the path matches nothing, a value cannot be scaled, or an added id is
            already taken. The place is ``changes[index]``.
    """
    return _apply(data, change, source, f"changes[{index}]")


@dataclass
class _Budget:
    """What the changes of one scenario may still reach: places, and values written there."""

    left: int = dataclasses.field(default_factory=lambda: MAX_REACH)

    def spend(self, count: int) -> None:
        """Count `count` more; a PathError once the scenario's changes pass :data:`MAX_REACH`."""
        self.left -= count
        if self.left < 0:
            raise PathError(
                f"with this change the scenario reaches more than {MAX_REACH:,} places and values "
                "of the park in all (a wildcard reaches every item of its list, a set or add "
                "writes its value at each); use fewer or narrower changes"
            )


def _size(value: Any) -> int:
    """How many values a set or add writes at one place (lists and mappings count their items)."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _apply(
    data: dict[str, Any], change: Change, source: str, place: str, budget: _Budget | None = None
) -> dict[str, Any]:
    path = _path_of(change)
    budget = budget or _Budget()
    try:
        if isinstance(change, SetChange):
            _set(data, path, change.value, budget)
        elif isinstance(change, ScaleChange):
            _scale(data, path, change.by, budget)
        elif isinstance(change, AddChange):
            _add(data, path, change.value, budget)
        elif isinstance(change, RemoveChange):
            _remove(data, path, budget)
    except PathError as exc:
        shown = path if len(path) <= 120 else path[:117] + "..."
        raise InputError(source, f"{_verb(change)} '{shown}': {exc}", place=place) from None
    return data


def _set(data: dict[str, Any], path: str, value: Any, budget: _Budget) -> None:
    places = find_places(data, path, "set")
    budget.spend(len(places) * _size(value))
    for place in places:
        place.put(copy.deepcopy(value))


def _scale(data: dict[str, Any], path: str, by: float, budget: _Budget) -> None:
    places = find_places(data, path, "get")
    budget.spend(len(places))
    for place in places:
        value = place.get()
        tp = model_at(Park, place.loc, data)
        shown = _shown(place.loc, path, len(places))
        if _is_number(value):
            result: Any = _scaled(value, by, _is_int_type(tp) if tp is not None else None)
            numbers = [result]
        elif isinstance(value, list) and value and all(_is_number(v) for v in value):
            item_tp = _element_type(tp)
            integer = _is_int_type(item_tp) if item_tp is not None else None
            result = numbers = [_scaled(v, by, integer) for v in value]
        else:
            raise PathError(f"{shown} is {_describe(value)}, not a number or a list of numbers")
        if not all(math.isfinite(n) for n in numbers):
            raise PathError(f"{shown} is {_describe(value)}: times {by:g} it is too large a number")
        place.put(result)


def _add(data: dict[str, Any], path: str, value: Any, budget: _Budget) -> None:
    places = find_places(data, path, "add")
    budget.spend(len(places) * _size(value))
    for place in places:
        if not place.exists:
            place.put([])
        target = place.get()
        shown = _shown(place.loc, path, len(places))
        if not isinstance(target, list):
            raise PathError(f"{shown} is {_describe(target)}, not a list to add to")
        new_id = value.get("id") if isinstance(value, dict) else None
        if new_id is not None and any(
            isinstance(item, dict) and item.get("id") == new_id for item in target
        ):
            raise PathError(
                f"{shown} already has an item with id '{new_id}'; "
                f"use set on '{path}[id={new_id}]' to change it, or pick another id"
            )
        target.append(copy.deepcopy(value))


def _remove(data: dict[str, Any], path: str, budget: _Budget) -> None:
    places = find_places(data, path, "get")
    budget.spend(len(places))
    # Delete from the back, so that earlier indices of the same list stay valid.
    for place in sorted(places, key=lambda p: p.key if isinstance(p.key, int) else 0, reverse=True):
        del place.container[place.key]  # type: ignore[arg-type]


def _shown(loc: tuple[str | int, ...], path: str, matched: int) -> str:
    """How to name one matched place: the path itself when it matched only that place."""
    if matched == 1:
        return f"'{path}'"
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + part
    return f"'{text}'"


# --------------------------------------------------------------------------- events


def check_events(park: Park, events: Sequence[Event], source: str = "<scenario>") -> None:
    """Check that every event names an asset or flow of the park, and one factor per moment.

    Args:
        park: the park the events happen in (after the scenario's changes).
        events: the scenario's events.
        source: the scenario file, for messages.

    Raises:
        InputError: for the first event naming something the park does not have, or a second
            rate event of one flow at the same moment; the place is ``events[i]``.
    """
    power = park.power
    water = park.water
    assets: dict[str, str] = {}
    for kind, ids in (
        ("gate", [g.id for g in park.logistics.gates]),
        ("feeder", [f.id for f in power.feeders] if power else []),
        ("substation", [s.id for s in power.substations] if power else []),
        ("line", [line.id for line in power.network.lines] if power and power.network else []),
        (
            "transformer",
            [t.id for s in power.substations for t in s.transformers or []] if power else [],
        ),
    ):
        assets.update(dict.fromkeys(ids, kind))
    if water and water.supply:
        assets["water.supply"] = "supply"
    if water and water.wastewater:
        assets["water.wastewater"] = "plant"
    flows = [f.id for f in park.logistics.flows]
    rate_changes: dict[tuple[str, float], int] = {}
    for i, event in enumerate(events):
        if isinstance(event, OutageEvent) and event.outage not in assets:
            if event.outage in WATER_ASSETS:
                message = f"outage of '{event.outage}', which this park does not have"
            else:
                message = (
                    f"outage of '{event.outage}': no substation, feeder, line, transformer or gate "
                    "has that id "
                    f"and it is not water.supply or water.wastewater{_hint(event.outage, assets)}"
                )
            raise InputError(source, f"{message} (known: {_listing(assets)})", place=f"events[{i}]")
        if isinstance(event, RateEvent) and event.flow not in flows:
            raise InputError(
                source,
                f"rate change of flow '{event.flow}', which does not exist"
                f"{_hint(event.flow, flows)} (known flows: {_listing(flows)})",
                place=f"events[{i}]",
            )
        if isinstance(event, RateEvent):
            first = rate_changes.setdefault((event.flow, event.at.minutes()), i)
            if first != i:
                raise InputError(
                    source,
                    f"{_described(event)} is the second at that moment (events[{first}] is the "
                    "first): give one factor (a rate event's factor replaces the one before, "
                    "factors do not multiply)",
                    place=f"events[{i}]",
                )


def days_for_events(events: Iterable[Event]) -> int:
    """The fewest whole days of horizon in which every event starts (0 with no events)."""
    return max((math.floor(event.at.minutes() / 1440.0) + 1 for event in events), default=0)


def _described(event: Event) -> str:
    if isinstance(event, OutageEvent):
        what = f"outage of '{event.outage}'"
    else:
        what = f"rate change of flow '{event.flow}'"
    return f"the {what} from day {event.at.day} at {event.at.at}"


def check_horizon(
    events: Sequence[Event], days: float, source: str = "<scenario>", place: str = ""
) -> None:
    """Refuse events that start after the horizon ends: they would silently change nothing.

    Args:
        events: the timed events to be simulated.
        days: the horizon, days after the warm-up (day 0 is its first day).
        source: the scenario (file or name) the events come from, for the message.
        place: where in `source` to point, if anywhere.

    Raises:
        InputError: naming every late event and the ```days``` that would cover them all.
    """
    late = [event for event in events if event.at.minutes() >= days * 1440.0]
    if not late:
        return
    named = "; ".join(_described(event) for event in late)
    starts = "starts" if len(late) == 1 else "start"
    raise InputError(
        source,
        f"{named} {starts} after the {days:g}-day horizon (day 0 is its first day), so "
        f"would change nothing; simulate `days` {days_for_events(events)} or more",
        place=place,
    )


# --------------------------------------------------------------------------- public


def _validated(data: dict[str, Any], source: str, what: str) -> Park:
    try:
        return check_park(validate_data(Park, data, source), data, source)
    except InputError as exc:
        raise InputError(source, f"{exc.message} ({what})", place=exc.place) from None


def apply_scenario(park: Park, scenario: Scenario, source: str = "<scenario>") -> Park:
    """The park with the scenario's changes applied in order, validated, events checked.

    Args:
        park: the base park; it is not changed.
        scenario: the scenario to apply.
        source: the scenario file, named in every error.

    Returns:
        A new, valid park (the same park when the scenario has no changes).

    Raises:
        InputError: when a change's path matches nothing (place ``changes[i]``), when the
            changed park is invalid (the message says it is the park after applying the
            scenario), or when an event names something the park does not have (``events[i]``).
    """
    result = park
    if scenario.changes:
        data = park.model_dump(mode="json", by_alias=True, exclude_none=True)
        budget = _Budget()
        for i, change in enumerate(scenario.changes):
            _apply(data, change, source, f"changes[{i}]", budget)
        result = _validated(
            data, source, f"in park '{park.park.name}' after applying this scenario's changes"
        )
    check_events(result, scenario.events, source)
    return result


def set_path(park: Park, path: str, value: Any, source: str = "`vary`") -> Park:
    """The park with `value` set at every place `path` matches, validated.

    Used by parameter sweeps, e.g. ``set_path(park, "logistics.dock_groups[id=X].docks", 5)``.

    Args:
        park: the park; it is not changed.
        path: a path in the syntax of this module's docstring.
        value: the value to put there.
        source: what to name in errors (the option or file the path came from).

    Returns:
        A new, valid park.

    Raises:
        InputError: when the path matches nothing or the value makes the park invalid.
    """
    data = park.model_dump(mode="json", by_alias=True, exclude_none=True)
    _apply(data, SetChange(set=path, value=value), source, path)
    return _validated(data, source, f"in park '{park.park.name}' with {path} = {value!r}")


def get_path(park: Park, path: str, source: str = "`vary`") -> list[Any]:
    """The values at every place `path` matches, e.g. to show a sweep's baseline value.

    Args:
        park: the park.
        path: a path in the syntax of this module's docstring.
        source: what to name in errors.

    Returns:
        The matched values, in park order.

    Raises:
        InputError: when the path matches nothing.
    """
    data = park.model_dump(mode="json", by_alias=True, exclude_none=True)
    try:
        return [place.get() for place in find_places(data, path, "get")]
    except PathError as exc:
        raise InputError(source, str(exc), place=path) from None
