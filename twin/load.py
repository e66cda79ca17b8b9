"""The one reader of park and scenario files.

A source is a path to a YAML or JSON file, the name of a bundled park or scenario, or a Python
dict. Everything that can go wrong with an input becomes an :class:`InputError` that names the
file, the line where the parser knows it, the field path, what is wrong and what was expected.
Reading is :mod:`twin.documents`, validation :mod:`twin.validation`, names
:mod:`twin.bundled`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from twin.bundled import DEFAULT_PARK, bundled_parks, bundled_scenarios, resolve
from twin.checks import check_park
from twin.documents import read_document
from twin.errors import InputError
from twin.scenario import apply_scenario
from twin.schema import Park, Scenario
from twin.validation import validate_data


def load_park(source: str | Path | Mapping[str, Any] = DEFAULT_PARK) -> Park:
    """A validated :class:`Park` from a file path, a bundled name or a dict."""
    if isinstance(source, Mapping):
        data = dict(source)
        return check_park(validate_data(Park, data, "<park dict>"), data, "<park dict>")
    path = resolve(source, "park")
    data, lines = read_document(path)
    if isinstance(data, dict) and "scenario" in data and "park" not in data:
        raise InputError(str(path), "is a scenario file; expected a park file", line=1)
    return check_park(validate_data(Park, data, str(path), lines), data, str(path), lines)


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


def check_file(source: str | Path) -> tuple[str, str]:
    """Validate a park or scenario file; return its kind and name (raise InputError if bad).

    A scenario is also applied to its base park, so that changes that name nothing, or that
    leave an invalid park behind, are caught too.
    """
    kind = file_kind(source)
    if kind == "park":
        return kind, load_park(source).park.name
    scenario = load_scenario(source)
    apply_scenario(load_park(scenario.base or DEFAULT_PARK), scenario, str(scenario_path(source)))
    return kind, scenario.scenario.name
