"""Validation of plain data against the park and scenario models, with located messages.

:func:`validate_data` turns pydantic's errors into one :class:`~twin.errors.InputError` that
lists every problem (:class:`~twin.errors.InputErrors`), each naming the file, the line (from a
line map of :mod:`twin.io.documents`), the field path with the id of the listed item, what is
wrong and what was expected; :func:`model_at` and
:func:`fields_at` look up the model that describes a place in a document (for did-you-mean).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from twin.errors import InputError, listed
from twin.model import schema
from twin.model.schema import DIST_NAMES, Problem, Problems, format_loc

M = TypeVar("M", bound=BaseModel)


def validate_data(model: type[M], data: Any, name: str, lines: Mapping | None = None) -> M:
    """Validate plain data as `model`, turning pydantic's errors into one :class:`InputError`.

    Raises:
        InputError: every problem found (an :class:`~twin.errors.InputErrors` when several).
    """
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
    """One located error for rules a valid model still breaks, listing every one of them."""
    return listed(
        [
            InputError(
                name, p.message, place=_place(tuple(p.loc), data), line=line_for(p.loc, lines or {})
            )
            for p in problems
        ]
    )


def _input_error(
    model: type[BaseModel], exc: ValidationError, data: Any, name: str, lines: Mapping
) -> InputError:
    """Every problem pydantic found, located; a misspelt field is named once, with its fix."""
    errors = _expanded(_useful_errors(exc.errors()))
    typos = _typos(model, errors, data)
    fixed = {(*err["loc"][:-1], typos[i]) for i, err in enumerate(errors) if i in typos}
    problems = []
    for i, err in enumerate(errors):
        if err["type"] == "missing" and tuple(err["loc"]) in fixed:
            continue  # named as the fix of the misspelt field beside it
        loc, message = _describe(model, err, data, typos.get(i))
        problems.append(InputError(name, message, _place(loc, data), line_for(loc, lines)))
    return listed(sorted(problems, key=lambda p: p.line or 0))


TYPO_LIKENESS = 0.5
"""How alike (difflib's ratio) an unknown field and a missing one must be to call it a typo."""


def _expanded(errors: list[Any]) -> list[Any]:
    """A park's rules broken together (:class:`Problems`) as one error each."""
    out = []
    for err in errors:
        error = (err.get("ctx") or {}).get("error")
        if isinstance(error, Problems):
            out += [{**err, "ctx": {"error": p}} for p in error.problems]
        else:
            out.append(err)
    return out


def _typos(model: type[BaseModel], errors: list[Any], data: Any) -> dict[int, str]:
    """Unknown fields paired with the required fields missing beside them, most alike first.

    Returns:
        error index of an unknown field -> the missing field it most likely means.
    """
    missing: dict[tuple[Any, ...], set[str]] = {}
    for err in errors:
        if err["type"] == "missing":
            missing.setdefault(tuple(err["loc"][:-1]), set()).add(str(err["loc"][-1]))
    pairs = []
    for i, err in enumerate(errors):
        parent = tuple(err["loc"][:-1])
        if err["type"] == "extra_forbidden" and parent in missing:
            for want in missing[parent]:
                ratio = difflib.SequenceMatcher(None, str(err["loc"][-1]), want).ratio()
                if ratio >= TYPO_LIKENESS:
                    pairs.append((-ratio, i, parent, want))
    chosen: dict[int, str] = {}
    taken: set[tuple[Any, ...]] = set()
    for _, i, parent, want in sorted(pairs):
        if i not in chosen and (*parent, want) not in taken:
            chosen[i] = want
            taken.add((*parent, want))
    return chosen


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
    wrote it, and each member tried repeats the same place. Of the members tried at a place,
    only the one with the fewest problems (the one the user most likely meant) is kept."""
    seen: set[tuple[Any, ...]] = set()
    result = []
    for err in _likeliest_members(errors):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
        if loc in seen:
            continue
        seen.add(loc)
        result.append({**err, "loc": loc})
    return result


def _union_step(loc: Sequence[Any]) -> tuple[tuple[Any, ...], str] | None:
    """The place of the first union member named in `loc`, and that member's tag."""
    for k, part in enumerate(loc):
        if isinstance(part, str) and part in _UNION_TAGS:
            return tuple(loc[:k]), part
    return None


def _likeliest_members(errors: list[Any]) -> list[Any]:
    counts: dict[tuple[Any, ...], dict[str, int]] = {}
    for err in errors:
        step = _union_step(err["loc"])
        if step is not None:
            tried = counts.setdefault(step[0], {})
            tried[step[1]] = tried.get(step[1], 0) + 1
    best = {place: min(tried, key=lambda t: tried[t]) for place, tried in counts.items()}
    kept = []
    for err in errors:
        step = _union_step(err["loc"])
        if step is None:
            kept.append(err)
        elif best[step[0]] == step[1]:
            kept.append({**err, "others": [t for t in counts[step[0]] if t != step[1]]})
    return kept


def _other_fields(tags: Sequence[str]) -> set[str]:
    """The fields of the other union members tried at a place (changes and events by name)."""
    fields: set[str] = set()
    for tag in tags:
        member = getattr(schema, tag, None)
        if isinstance(member, type) and issubclass(member, BaseModel):
            fields.update(_spelt(n, f) for n, f in member.model_fields.items())
    return fields


_PATTERN_FORMS = {
    "2[0-3]": 'a time of day "HH:MM" (00:00 to 24:00)',
    "A-Za-z0-9_": "an id of letters, digits, '_', '.' and '-' starting with a letter or digit",
    r"\d{4}-": 'a date "YYYY-MM-DD" or date and time "YYYY-MM-DDTHH:MM"',
}


def _describe(
    model: type[BaseModel], err: Any, data: Any, missing: str | None = None
) -> tuple[tuple[Any, ...], str]:
    """The place and message of one pydantic error; `missing`: the field a typo stands for."""
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
        if missing is not None:
            hint = f"; did you mean '{missing}' (required here, and missing)?"
        elif str(loc[-1]) in _other_fields(err.get("others", ())):
            hint = f"; '{loc[-1]}' goes with another kind of item, not with these fields"
        else:
            close = difflib.get_close_matches(str(loc[-1]), known, n=3)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return loc, f"unknown field '{loc[-1]}'{hint} (the fields here: {', '.join(known)})"
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
    if kind == "literal_error":
        words = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        close = difflib.get_close_matches(str(got), words, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return loc, f"{err['msg'].lower()}, got {_short(got)}{hint}"
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
        return [_spelt(n, f) for n, f in owner.model_fields.items()]
    return []


def _spelt(name: str, field: Any) -> str:
    """How a file spells a field: its validation alias (``from``), else its alias or name."""
    alias = field.validation_alias
    return alias if isinstance(alias, str) else field.alias or name


def line_for(loc: tuple[Any, ...], lines: Mapping[tuple[Any, ...], int]) -> int | None:
    """The line of the innermost place of `loc` that the line map knows, or None."""
    for end in range(len(loc), -1, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if key in lines:
            return lines[key]
    return None
