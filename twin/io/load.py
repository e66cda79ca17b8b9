"""The one reader of park and scenario files.

A source is a path to a YAML or JSON file, the name of a bundled park or scenario, or a Python
dict. Everything that can go wrong with an input becomes an :class:`InputError` that names the
file, the line where the parser knows it, the field path, what is wrong and what was expected.
Reading is :mod:`twin.io.documents`, validation :mod:`twin.model.validate`, names
:mod:`twin.io.bundled`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from twin.errors import InputError
from twin.io.bundled import DEFAULT_PARK, bundled_parks, bundled_scenarios, resolve
from twin.io.documents import Lines, read_document
from twin.model.checks import check_park
from twin.model.schema import Park, Scenario
from twin.model.validate import validate_data


def load_park(source: str | Path | Mapping[str, Any] = DEFAULT_PARK) -> Park:
    """A validated :class:`Park` from a file path, a bundled name or a dict."""
    if isinstance(source, Mapping):
        data = dict(source)
        return check_park(validate_data(Park, data, "<park dict>"), data, "<park dict>")
    path = resolve(source, "park")
    return _park_from(*read_document(path), str(path))


def _park_from(data: Any, lines: Lines, name: str) -> Park:
    if isinstance(data, dict) and "scenario" in data and "park" not in data:
        raise InputError(name, "is a scenario file; expected a park file", line=1)
    return check_park(validate_data(Park, data, name, lines), data, name, lines)


def load_scenario(source: str | Path | Mapping[str, Any]) -> Scenario:
    """A validated :class:`Scenario` from a file path, a bundled name or a dict."""
    if isinstance(source, Mapping):
        return validate_data(Scenario, dict(source), "<scenario dict>")
    path = resolve(source, "scenario")
    return _scenario_from(*read_document(path), str(path))


def _scenario_from(data: Any, lines: Lines, name: str) -> Scenario:
    if isinstance(data, dict) and "park" in data and "scenario" not in data:
        raise InputError(name, "is a park file; expected a scenario file", line=1)
    return validate_data(Scenario, data, name, lines)


def scenario_path(source: str | Path) -> Path:
    """The file behind a scenario path or bundled name."""
    return resolve(source, "scenario")


def _any_path(source: str | Path) -> Path:
    """The file behind a path, or a bundled park or scenario name (parks first)."""
    try:
        return resolve(source, "park")
    except InputError:
        if str(source) in bundled_scenarios():
            return bundled_scenarios()[str(source)]
        names = [*bundled_parks(), *bundled_scenarios()]
        close = difflib.get_close_matches(str(source), names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise InputError(
            str(source),
            f"no such file and no bundled park or scenario of that name{hint} "
            f"(bundled: {', '.join(names) or 'none'})",
        ) from None


def _kind_of(data: Any) -> str:
    return "scenario" if isinstance(data, dict) and "scenario" in data else "park"


def file_kind(source: str | Path) -> str:
    """'park' or 'scenario', from the document's top-level keys (bundled names: parks first)."""
    data, _ = read_document(_any_path(source))
    return _kind_of(data)
