"""Scenarios for what-ifs: the bundled ones, and uploaded files checked like files on disk.

An upload goes through the same reader as ``parktwin validate`` (size limit, UTF-8, YAML or
JSON syntax with line numbers, the scenario schema with field paths) and is then applied to the
served park, so an unknown id is reported at once, named by the uploaded file's name. A
scenario always runs on the served park: its ``base`` is not followed (a page on the network
must not make the server read files of its choosing).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from twin.errors import InputError, ParktwinError
from twin.io.bundled import bundled_parks, resolve
from twin.io.documents import Lines
from twin.io.inputs import home_park
from twin.io.load import (
    bundled_scenarios,
    load_scenario,
    read_document,
    scenario_path,
    validate_data,
)
from twin.io.output import atomic_write_bytes
from twin.model.scenario import apply_scenario, check_events, check_horizon, days_for_events
from twin.model.schema import Park, Scenario, format_loc

MAX_UPLOAD_BYTES = 256 * 1024
"""Largest scenario file accepted (bundled scenarios are under 2 KB)."""
MAX_SCENARIOS = 4
"""Most scenarios in one comparison."""
SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Choice:
    """A scenario ready to compare: its name, and what the worker loads (a name or a document)."""

    name: str
    document: str | dict[str, Any]


def bundled_list(park: Park, park_source: str | None = None) -> list[dict[str, Any]]:
    """The bundled scenarios written for the served park, each with whether it applies.

    A bundled scenario is written for the bundled park at the end of its chain of ``base``
    (no base: the default park); it is listed only when that park is the one served, so a
    park of the user's own gets none. Without `park_source` every bundled scenario is listed.
    Each entry's ``min_days`` is the shortest horizon, in whole days, in which all its events
    start (0 with none): the what-if form simulates at least that long.
    """
    served = _bundled_file(park_source) if park_source is not None else None
    out = []
    for name in bundled_scenarios():
        if park_source is not None and _home(name) != served:
            continue
        entry: dict[str, Any] = {"name": name, "applies": True}
        try:
            scenario = load_scenario(name)
            entry["title"] = scenario.scenario.name
            entry["description"] = scenario.scenario.description
            entry["min_days"] = days_for_events(scenario.events)
            _apply(park, scenario, name)
        except InputError as exc:
            entry["applies"] = False
            entry["error"] = str(exc)
        out.append(entry)
    return out


def given_list(park: Park, sources: Sequence[str]) -> list[dict[str, Any]]:
    """The scenarios given to the server (``serve -s``), listed as the bundled ones are.

    Each entry carries its ``document``, which the page sends back to compare it (the server
    reads no file a request names). A bundled name is left out: the bundled list has it.

    Raises:
        InputError: a file that cannot be read or is not a valid scenario.
    """
    out = []
    for source in sources:
        if source in bundled_scenarios():
            continue
        document, lines = read_document(scenario_path(source))
        scenario = load_scenario(source)
        document = json_document(document, source, lines)
        entry: dict[str, Any] = {"name": scenario.scenario.name, "applies": True}
        entry.update(title=scenario.scenario.name, description=scenario.scenario.description)
        entry["min_days"] = days_for_events(scenario.events)
        try:
            _apply(park, scenario, source)
        except InputError as exc:
            entry.update(applies=False, error=str(exc))
        out.append({**entry, "document": document})
    return out


def _bundled_file(park_source: str) -> Path | None:
    """The bundled park file `park_source` names, None when it is a park of the user's own."""
    files = {path.resolve() for path in bundled_parks().values()}
    with contextlib.suppress(InputError):
        path = resolve(park_source, "park").resolve()
        return path if path in files else None
    return None


def _home(name: str) -> Path | None:
    try:
        return home_park(name)
    except ParktwinError:
        return None


def _apply(park: Park, scenario: Scenario, source: str) -> None:
    applied = apply_scenario(park, scenario, source)
    check_events(applied, scenario.events, source)


MAX_NAME_CHARS = 255


def upload_name(name: str | None) -> str:
    """A safe file name for an upload: its last path part, plain characters, a known suffix.

    Raises:
        InputError: no name, or a suffix other than .yaml, .yml or .json.
    """
    if name is not None and len(name) > MAX_NAME_CHARS:
        raise InputError("<upload>", f"the file name is {len(name):,} characters; at most 255")
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")[:80]
    if not base:
        raise InputError("<upload>", "the uploaded file has no name")
    if Path(base).suffix.lower() not in SUFFIXES:
        raise InputError(base, "a scenario file must end in .yaml, .yml or .json")
    return base


def check_upload(park: Park, name: str | None, data: bytes) -> dict[str, Any]:
    """Check an uploaded scenario file as ``parktwin validate`` would, and against the park.

    Args:
        park: the served park the scenario will change.
        name: the file's name as uploaded (only its last part and suffix are used).
        data: the file's bytes.

    Returns:
        ``{"name", "description", "document"}``; the document is the scenario as plain data,
        to send back in ``POST /api/compare``.

    Raises:
        InputError: too large, not UTF-8, bad syntax, schema violation or an id the park lacks;
            the message names the uploaded file, the line or field, and what is wrong.
    """
    safe, document, lines = read_upload(name, data)
    if isinstance(document, dict) and "park" in document and "scenario" not in document:
        raise InputError(safe, "is a park file; expected a scenario file", line=1)
    scenario = validate_data(Scenario, document, safe, lines)
    _apply(park, scenario, safe)
    return {
        "name": scenario.scenario.name,
        "description": scenario.scenario.description,
        "document": json_document(document, safe, lines),
        "min_days": days_for_events(scenario.events),
    }


def read_upload(name: str | None, data: bytes) -> tuple[str, Any, Lines]:
    """An uploaded YAML or JSON file's safe name, document and line map, read as files are.

    Raises:
        InputError: too large, YAML aliases, not UTF-8 or bad syntax, named by the upload.
    """
    safe = upload_name(name)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(safe, f"is {len(data) // 1024} KB; uploads are at most 256 KB")
    _refuse_aliases(safe, data)
    with tempfile.TemporaryDirectory(prefix="parktwin-upload-") as folder:
        path = atomic_write_bytes(Path(folder) / safe, data)
        try:
            document, lines = read_document(path)
        except InputError as exc:  # named by the upload, not by the scratch file
            raise InputError(safe, exc.message, exc.place, exc.line) from None
    return safe, document, lines


JSON_VALUES = (str, int, float, bool, type(None))


def json_document(document: Any, name: str, lines: Lines) -> Any:
    """A valid document as JSON data, for the page to show and send back.

    YAML reads unquoted dates and times as such: they become ISO text, which reads back as the
    same value. YAML's ``!!binary`` and ``!!set`` have no JSON form (the schema takes a binary
    value as text, so a valid file may hold one).

    Raises:
        InputError: a value JSON cannot carry, named by the file, its line and field.
    """

    def plain(value: Any, path: tuple[Any, ...]) -> Any:  # depth is bounded by the reader
        if isinstance(value, dt.date | dt.time):
            return value.isoformat()
        if isinstance(value, list):
            return [plain(item, (*path, index)) for index, item in enumerate(value)]
        if isinstance(value, dict):
            return {plain(key, path): plain(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, JSON_VALUES):
            return value
        kind = "binary data (!!binary)" if isinstance(value, bytes) else type(value).__name__
        raise InputError(
            name, f"{kind} is not accepted here; write text", format_loc(path), lines.get(path)
        )

    return plain(document, ())


def _refuse_aliases(name: str, data: bytes) -> None:
    """YAML aliases (``*a``) can make a small file expand a billion-fold: not from the network."""
    if b"*" not in data:
        return
    try:
        for event in yaml.parse(data.decode("utf-8-sig")):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else None
                raise InputError(
                    name, "YAML aliases (*name) are not accepted in uploads", line=line
                )
    except (yaml.YAMLError, UnicodeDecodeError):
        return  # the reader reports the syntax or encoding error with its line


def choices(park: Park, items: Any, days: float | None = None) -> list[Choice]:
    """The scenarios of a compare request: bundled names or scenario documents.

    Args:
        park: the served park.
        items: the request's ``scenarios``.
        days: the request's horizon; every scenario's events must start within it.

    Raises:
        InputError: not a list, empty, too many, an unknown name, a document that fails
            validation or does not apply to the park, or an event after the horizon (named
            ``scenarios[i]``).
    """
    if not isinstance(items, Sequence) or isinstance(items, str | bytes) or not items:
        raise InputError("request", "must be a non-empty list of names or documents", "scenarios")
    if len(items) > MAX_SCENARIOS:
        raise InputError("request", f"at most {MAX_SCENARIOS} scenarios at once", "scenarios")
    out = []
    for index, item in enumerate(items):
        place = f"scenarios[{index}]"
        document: str | dict[str, Any]
        if isinstance(item, str):
            if item not in bundled_scenarios():
                known = ", ".join(bundled_scenarios())
                raise InputError("request", f"no bundled scenario '{item}' (known: {known})", place)
            scenario = load_scenario(item)
            source, document = item, item
        elif isinstance(item, Mapping):
            try:
                scenario = validate_data(Scenario, dict(item), place)
            except InputError as exc:
                raise InputError(
                    "request", exc.message, f"{place}.{exc.place}".rstrip(".")
                ) from None
            source, document = place, dict(item)
        else:
            raise InputError("request", "must be a bundled name or a scenario document", place)
        _apply(park, scenario, source)
        if days is not None:
            check_horizon(scenario.events, days, "request", place)
        out.append(Choice(scenario.scenario.name, document))
    return out
