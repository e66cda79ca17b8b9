"""Validation of plain data against the park and scenario models, with located messages.

:func:`validate_data` turns pydantic's errors into one :class:`~twin.errors.InputError` that
names the file, the line (from a line map of :mod:`twin.io.documents`), the field path with the id
of the listed item, what is wrong and what was expected; :func:`model_at` and
:func:`fields_at` look up the model that describes a place in a document (for did-you-mean).
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from twin.errors import InputError
from twin.model.schema import DIST_NAMES, Problem, format_loc

M = TypeVar("M", bound=BaseModel)


def validate_data(model: type[M], data: Any, name: str, lines: Mapping | None = None) -> M:
    """Validate plain data as `model`, turning pydantic's errors into one :class:`InputError`."""
    lines = lines or {}
    if not isinstance(data, dict):
        kind = (
            "a list" if isinstance(data, list) else _short(data) if data is not None else "nothing"
        )
        raise InputError(name, f"the document is {kind}; expected a mapping of sections", line=1)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _input_error(model, exc, data, name, lines) from None


def problems_error(
    problems: Sequence[Problem], data: Any, name: str, lines: Mapping | None = None
) -> InputError:
    """One located error for rules a valid model still breaks (the first, and how many more)."""
    loc = tuple(problems[0].loc)
    more = len(problems) - 1
    suffix = f" (and {more} more problem{'s' * (more > 1)})" if more else ""
    return InputError(
        name, problems[0].message + suffix, place=_place(loc, data), line=line_for(loc, lines or {})
    )


def _input_error(
    model: type[BaseModel], exc: ValidationError, data: Any, name: str, lines: Mapping
) -> InputError:
    errors = _useful_errors(exc.errors())
    first = errors[0]
    if first["type"] == "missing":
        # A misspelt field shows up as "missing" plus "unknown" beside it: name the typo.
        first = next(
            (
                e
                for e in errors
                if e["type"] == "extra_forbidden" and tuple(e["loc"][:-1]) == first["loc"][:-1]
            ),
            first,
        )
    loc, message = _describe(model, first, data)
    more = (
        f" (and {len(errors) - 1} more problem{'s' * (len(errors) > 2)})" if len(errors) > 1 else ""
    )
    return InputError(name, message + more, place=_place(loc, data), line=line_for(loc, lines))


_UNION_TAGS = frozenset(DIST_NAMES) | {
    "SetChange",
    "ScaleChange",
    "AddChange",
    "RemoveChange",
    "OutageEvent",
    "RateEvent",
}


def _useful_errors(errors: list[Any]) -> list[Any]:
    """Drop union noise: pydantic names the union member tried as a path part; users never
    wrote it, and each member tried repeats the same place."""
    seen: set[tuple[Any, ...]] = set()
    result = []
    for err in errors:
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
        if loc in seen:
            continue
        seen.add(loc)
        result.append({**err, "loc": loc})
    return result


_PATTERN_FORMS = {
    "2[0-3]": 'a time of day "HH:MM" (00:00 to 24:00)',
    "A-Za-z0-9_": "an id of letters, digits, '_', '.' and '-' starting with a letter or digit",
    r"\d{4}-": 'a date "YYYY-MM-DD" or date and time "YYYY-MM-DDTHH:MM"',
}


def _describe(model: type[BaseModel], err: Any, data: Any) -> tuple[tuple[Any, ...], str]:
    loc: tuple[Any, ...] = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if isinstance(ctx.get("error"), Problem):
        problem = ctx["error"]
        return tuple(problem.loc), problem.message
    got = _value_at(data, loc)
    if kind == "extra_forbidden":
        known = fields_at(model, loc[:-1], data)
        if str(loc[-1]) in known:  # a field of another form of this object (a union)
            fields = ", ".join(known)
            problem = f"a field here does not go with '{loc[-1]}'"
            return loc, f"{problem} (with it, the fields are: {fields})"
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return loc, f"unknown field '{loc[-1]}'{hint} (expected one of: {', '.join(known)})"
    if kind == "missing":
        return loc, f"required field '{loc[-1]}' is missing"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        form = next((f for key, f in _PATTERN_FORMS.items() if key in pattern), pattern)
        return loc, f"expected {form}, got {_short(got)}"
    if kind == "union_tag_invalid":
        return (*loc, "dist"), (
            f"unknown distribution '{ctx.get('tag')}'; expected one of: {ctx.get('expected_tags')}"
        )
    if kind == "union_tag_not_found":
        return (
            loc,
            "a distribution needs 'dist' naming its family, e.g. {dist: exponential, mean: 5}",
        )
    if kind == "too_long" and isinstance(got, list | dict):
        return loc, f"has {len(got):,} items; at most {ctx.get('max_length', 0):,}"
    if kind == "finite_number":
        return loc, f"must be a finite number, got {got!r}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return loc, f"{err['msg'].lower()}, got {got!r}"
    msg = err["msg"]
    msg = msg.removeprefix("Value error, ")
    if kind == "union_type" or kind.endswith("_type") or kind.endswith("_parsing"):
        return loc, f"{msg.lower()}, got {_short(got)}"
    return loc, msg


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _place(loc: tuple[Any, ...], data: Any) -> str:
    """The field path, with the id of the innermost listed item when it has one."""
    text = format_loc(loc)
    for end in range(len(loc), 0, -1):
        if isinstance(loc[end - 1], int):
            item = _value_at(data, loc[:end])
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                return f"{text} (id={item['id']})"
    return text


def model_at(model: Any, loc: tuple[Any, ...], data: Any) -> Any:
    """The pydantic model class that describes the value at `loc`, or None."""
    current: Any = model
    for depth, part in enumerate(loc):
        current = _unwrap(current, _value_at(data, loc[: depth + 1]))
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        else:
            return None
    return _unwrap(current, _value_at(data, loc))


def union_members(tp: Any) -> tuple[Any, list[Any] | None]:
    """`tp` without ``Annotated``, and its members other than None when it is a union."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return tp, [a for a in typing.get_args(tp) if a is not type(None)]
    return tp, None


def _unwrap(tp: Any, value: Any) -> Any:
    """Strip Optional/Annotated; pick the union member that matches the value's tag."""
    while True:
        tp, members = union_members(tp)
        if members is None:
            return tp
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        if isinstance(value, dict) and models:
            tp = max(models, key=lambda m: len(set(value) & set(m.model_fields)))
        else:
            tp = members[0]


def fields_at(model: type[BaseModel], loc: tuple[Any, ...], data: Any) -> list[str]:
    """The field names (aliases) of the model at `loc`; empty when it is not a model."""
    owner = model_at(model, loc, data)
    if isinstance(owner, type) and issubclass(owner, BaseModel):
        return [f.alias or n for n, f in owner.model_fields.items()]
    return []


def line_for(loc: tuple[Any, ...], lines: Mapping[tuple[Any, ...], int]) -> int | None:
    """The line of the innermost place of `loc` that the line map knows, or None."""
    for end in range(len(loc), -1, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if key in lines:
            return lines[key]
    return None
