"""The one reader of park and scenario files.

A source is a path to a YAML or JSON file, the name of a bundled park or scenario, or a Python
dict. Everything that can go wrong with an input becomes an :class:`InputError` that names the
file, the line where the parser knows it, the field path, what is wrong and what was expected.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from twin.errors import InputError
from twin.schema import DIST_NAMES, Park, Problem, Scenario, format_loc

MAX_FILE_BYTES = 50 * 1024 * 1024
M = TypeVar("M", bound=BaseModel)


# --------------------------------------------------------------------------- bundled data


def data_root() -> Path:
    """Folder holding `assets/` and `scenarios/`: inside the wheel, or the source checkout."""
    packaged = Path(__file__).resolve().parent / "_bundled"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent


def bundled_parks() -> dict[str, Path]:
    """Bundled park names and their files."""
    return {p.stem: p for p in sorted((data_root() / "assets" / "parks").glob("*.yaml"))}


def bundled_scenarios() -> dict[str, Path]:
    """Bundled scenario names and their files."""
    return {p.stem: p for p in sorted((data_root() / "scenarios").glob("*.yaml"))}


DEFAULT_PARK = "yen-binh"


def resolve(source: str | Path, kind: str = "park") -> Path:
    """The file behind a path or bundled name; an :class:`InputError` when there is none."""
    path = Path(source)
    if path.suffix.lower() in (".yaml", ".yml", ".json") or path.exists() or "/" in str(source):
        return path
    bundled = bundled_parks() if kind == "park" else bundled_scenarios()
    if str(source) in bundled:
        return bundled[str(source)]
    close = difflib.get_close_matches(str(source), list(bundled), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise InputError(
        str(source),
        f"no such file and no bundled {kind} of that name{hint} "
        f"(bundled {kind}s: {', '.join(bundled) or 'none'})",
    )


# --------------------------------------------------------------------------- reading


def read_document(path: Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse a YAML or JSON file into plain data and a map from data path to line number."""
    name = str(path)
    try:
        if path.is_dir():
            raise InputError(name, "is a folder, expected a YAML or JSON file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(name, f"is {size // 1_048_576} MB; park files are at most 50 MB")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(name, "file not found") from None
    except PermissionError:
        raise InputError(name, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise InputError(name, f"cannot be read ({exc.strerror or exc})") from None
    if b"\x00" in raw[:8192]:
        raise InputError(name, "is a binary file, expected YAML or JSON text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise InputError(name, "is empty, expected a park or scenario document")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(name, f"JSON syntax error: {exc.msg}", line=exc.lineno) from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            what = " ".join(x for x in (exc.context, exc.problem) if x)
            raise InputError(name, f"YAML syntax error: {what}", line=line) from None
        except yaml.YAMLError as exc:
            raise InputError(name, f"YAML error: {exc}") from None
    return data, _line_map(text)


def _line_map(text: str) -> dict[tuple[Any, ...], int]:
    """Data path -> 1-based line, from YAML's node tree (JSON is YAML enough for this)."""
    lines: dict[tuple[Any, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines

    inside: set[int] = set()  # nodes being walked: an alias may point back at its ancestor

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        lines[path] = node.start_mark.line + 1
        if id(node) in inside:
            return
        inside.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                lines[(*path, key.value)] = key.start_mark.line + 1
                walk(value, (*path, key.value))
                lines[(*path, key.value)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))
        inside.discard(id(node))

    if root is not None:
        walk(root, ())
    return lines


def _line_for(loc: tuple[Any, ...], lines: Mapping[tuple[Any, ...], int]) -> int | None:
    for end in range(len(loc), -1, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if key in lines:
            return lines[key]
    return None


# --------------------------------------------------------------------------- validation


def validate_data(model: type[M], data: Any, name: str, lines: Mapping | None = None) -> M:
    """Validate plain data as `model`, turning pydantic's errors into one :class:`InputError`."""
    lines = lines or {}
    if not isinstance(data, dict):
        kind = (
            "a list" if isinstance(data, list) else f"'{data}'" if data is not None else "nothing"
        )
        raise InputError(name, f"the document is {kind}; expected a mapping of sections", line=1)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _input_error(model, exc, data, name, lines) from None


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
    return InputError(name, message + more, place=_place(loc, data), line=_line_for(loc, lines))


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


def _unwrap(tp: Any, value: Any) -> Any:
    """Strip Optional/Annotated; pick the union member that matches the value's tag."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            if isinstance(value, dict) and models:
                tp = max(models, key=lambda m: len(set(value) & set(m.model_fields)))
            else:
                tp = members[0]
        else:
            return tp


def fields_at(model: type[BaseModel], loc: tuple[Any, ...], data: Any) -> list[str]:
    owner = model_at(model, loc, data)
    if isinstance(owner, type) and issubclass(owner, BaseModel):
        return [f.alias or n for n, f in owner.model_fields.items()]
    return []


# --------------------------------------------------------------------------- public


def load_park(source: str | Path | Mapping[str, Any] = DEFAULT_PARK) -> Park:
    """A validated :class:`Park` from a file path, a bundled name or a dict."""
    if isinstance(source, Mapping):
        return validate_data(Park, dict(source), "<park dict>")
    path = resolve(source, "park")
    data, lines = read_document(path)
    if isinstance(data, dict) and "scenario" in data and "park" not in data:
        raise InputError(str(path), "is a scenario file; expected a park file", line=1)
    return validate_data(Park, data, str(path), lines)


def load_scenario(source: str | Path | Mapping[str, Any]) -> Scenario:
    """A validated :class:`Scenario` from a file path, a bundled name or a dict."""
    if isinstance(source, Mapping):
        return validate_data(Scenario, dict(source), "<scenario dict>")
    path = resolve(source, "scenario")
    data, lines = read_document(path)
    if isinstance(data, dict) and "park" in data and "scenario" not in data:
        raise InputError(str(path), "is a park file; expected a scenario file", line=1)
    return validate_data(Scenario, data, str(path), lines)


def scenario_path(source: str | Path) -> Path:
    """The file behind a scenario path or bundled name."""
    return resolve(source, "scenario")


def file_kind(source: str | Path) -> str:
    """'park' or 'scenario', from the document's top-level keys (bundled names: parks first)."""
    try:
        path = resolve(source, "park")
    except InputError:
        if str(source) in bundled_scenarios():
            return "scenario"
        names = [*bundled_parks(), *bundled_scenarios()]
        close = difflib.get_close_matches(str(source), names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise InputError(
            str(source),
            f"no such file and no bundled park or scenario of that name{hint} "
            f"(bundled: {', '.join(names) or 'none'})",
        ) from None
    data, _ = read_document(path)
    return "scenario" if isinstance(data, dict) and "scenario" in data else "park"


class _ParkDumper(yaml.SafeDumper):
    """Writes lists of plain values (points, profiles) and small flat mappings on one line."""


def _represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    flat = all(not isinstance(x, dict | list) for x in items)
    points = all(isinstance(x, list) and not any(isinstance(y, dict | list) for y in x)
                 for x in items)  # fmt: skip
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flat or points)


def _represent_dict(dumper: yaml.SafeDumper, mapping: dict[str, Any]) -> yaml.Node:
    flat = (
        len(mapping) <= 4
        and all(not isinstance(v, dict | list) for v in mapping.values())
        and len(str(mapping)) <= 80
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", mapping, flow_style=flat)


_ParkDumper.add_representer(list, _represent_list)
_ParkDumper.add_representer(dict, _represent_dict)


def dump_park(park: Park) -> str:
    """The park as YAML text that :func:`load_park` reads back to an equal park.

    Short lists (footprints, hourly profiles) and small flat mappings (shifts, distributions)
    are written on one line, as people write park files.
    """
    data = park.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=False)
    return yaml.dump(data, Dumper=_ParkDumper, sort_keys=False, allow_unicode=True, width=100)


def check_file(source: str | Path) -> tuple[str, str]:
    """Validate a park or scenario file; return its kind and name (raise InputError if bad).

    A scenario is also applied to its base park, so that changes that name nothing, or that
    leave an invalid park behind, are caught too.
    """
    kind = file_kind(source)
    if kind == "park":
        return kind, load_park(source).park.name
    scenario = load_scenario(source)
    from twin.scenario import apply_scenario

    apply_scenario(load_park(scenario.base or DEFAULT_PARK), scenario, str(scenario_path(source)))
    return kind, scenario.scenario.name
