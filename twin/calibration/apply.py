"""Write fitted values into a copy of the park, and record where each came from.

The park keeps its ids, layout and every value nothing was fitted to. Each fitted value is
listed in ``metadata.calibration.values`` under its place in the park (``buildings[id=f1]
.power.base_kw``) with the file and period it came from, the method and its quality; values
the data cannot reach are listed under ``kept`` with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from twin.model.schema import Park


def significant(value: float, digits: int = 4) -> float:
    """`value` rounded to `digits` significant digits (0 stays 0)."""
    if value == 0 or not math.isfinite(value):
        return value  # NaN and infinity stay as they are: the park refuses them, by name
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


@dataclass
class Edit:
    """Changes to make to a park, and the record of each."""

    values: dict[str, Any] = field(default_factory=dict)  # place -> new value
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # place -> why the fit was refused

    def set(self, place: str, value: Any, was: Any, **record: Any) -> None:
        """Set the value at `place` (see :func:`apply_edit`) and record its origin."""
        self.values[place] = value
        entry: dict[str, Any] = {}
        if not _bulky(value):  # profiles are in the park itself; no need to repeat them
            entry["value"] = value
        if was is not None and not _bulky(was):
            entry["was"] = was
        self.provenance[place] = {**entry, **record}

    def refuse(self, place: str, reason: str) -> None:
        """Drop the value fitted at `place` (the file's value stays) and record why."""
        self.values.pop(place, None)
        self.provenance.pop(place, None)
        self.refused[place] = reason

    def keep(self, place: str, reason: str) -> None:
        """Record that the value at `place` was left as the file has it, and why."""
        self.kept[place] = reason


def _bulky(value: Any) -> bool:
    """Lists, or dicts holding lists (a flow's profile): too long to repeat in the record."""
    if isinstance(value, list):
        return True
    return isinstance(value, dict) and any(isinstance(v, list) for v in value.values())


def apply_edit(park: Park, edit: Edit, calibration: dict[str, Any]) -> Park:
    """A new park with the edit's values set and ``metadata.calibration`` filled in.

    Places look like ``buildings[id=f1].power.base_kw``, ``logistics.flows[id=in-f1]``
    (a dict value sets the item's fields; a None in it removes one) or
    ``logistics.roads[*].speed_kmh``. A value the park format refuses (not finite, or out of
    its field's range: an absurd fit) is dropped with :meth:`Edit.refuse`, so the file's
    value stays there and the rest of the fit goes on.
    """
    try:
        return _build(park, edit, calibration)
    except ValidationError:
        pass
    for place, value in list(edit.values.items()):
        alone = Edit({place: value})
        try:
            _build(park, alone, calibration)
        except ValidationError as exc:
            edit.refuse(place, f"{_first_error(exc)} (fitted {_short(value)})")
    return _build(park, edit, calibration)


def _build(park: Park, edit: Edit, calibration: dict[str, Any]) -> Park:
    data = park.model_dump(mode="json", by_alias=True, exclude_none=True)
    for place, value in edit.values.items():
        _set(data, place, value)
    metadata = dict(data.get("metadata") or {})
    metadata["calibration"] = {
        **calibration,
        "values": edit.provenance,
        "kept": edit.kept,
        **({"refused": edit.refused} if edit.refused else {}),
    }
    data["metadata"] = metadata
    return Park.model_validate(data)


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return str(first.get("msg", "invalid value"))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _set(data: dict[str, Any], place: str, value: Any) -> None:
    """Set one place of the park's data (the small path language of :func:`apply_edit`)."""
    parts = _split(place)
    targets: list[Any] = [data]
    for part in parts[:-1]:
        targets = [item for t in targets for item in _step(t, part)]
    last = parts[-1]
    for target in targets:
        if "[" in last:
            for item in _step(target, last):
                for key, new in value.items():
                    if new is None:
                        item.pop(key, None)
                    else:
                        item[key] = new
        else:
            target[last] = value


def _split(place: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in place:
        if ch == "." and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        current += ch
    parts.append(current)
    return parts


def _step(target: Any, part: str) -> list[Any]:
    if "[" not in part:
        return [target[part]]
    name, selector = part[:-1].split("[", 1)
    items = target[name]
    if selector == "*":
        return list(items)
    key, wanted = selector.split("=", 1)
    found = [item for item in items if str(item.get(key)) == wanted]
    if not found:
        raise KeyError(f"no {name} with {key} '{wanted}'")
    return found


def value_at(data: dict[str, Any], place: str) -> Any:
    """The value at a place of a park's data (the first match of a ``[*]``), or None."""
    targets: list[Any] = [data]
    try:
        for part in _split(place):
            targets = [item for t in targets for item in _step(t, part)]
    except (KeyError, TypeError):
        return None
    return targets[0] if targets else None
