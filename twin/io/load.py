"""The one reader of park and scenario files.

A source is a path to a YAML or JSON file, the name of a bundled park or scenario, or a Python
dict. Everything that can go wrong with an input becomes an :class:`InputError` that names the
file, the line where the parser knows it, the field path, what is wrong and what was expected.
Reading is :mod:`twin.io.documents`, validation :mod:`twin.model.validate`, names
:mod:`twin.io.bundled`.
"""

from __future__ import annotations

import difflib
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

from twin.errors import InputError
from twin.io.bundled import (
    DEFAULT_PARK,
    bundled_parks,
    bundled_scenarios,
    refuse_web_address,
    resolve,
)
from twin.io.documents import Lines, parse_document, read_document, read_text
from twin.model.checks import check_park
from twin.model.schema import Park, Scenario
from twin.model.validate import validate_data

FILES_KEPT = 4
"""Parks, and scenarios, kept per process, validated: the most recently read."""
KEPT_MAX_CHARS = 512 * 1024
"""Files longer than this are not kept (twelve times the bundled yen-binh park)."""

Loaded = TypeVar("Loaded")


class _Kept(Generic[Loaded]):
    """What files gave, kept while their text stays the same.

    A file is read every time; what its text gives is kept for :data:`FILES_KEPT` files (of
    at most :data:`KEPT_MAX_CHARS`), as the same text gives the same value. Parks and
    scenarios are frozen, so all who read a file share one. A value `keep` refuses is not
    kept, nor is a file that is not valid.
    """

    def __init__(
        self, build: Callable[[Any, Lines, str], Loaded], keep: Callable[[Loaded], bool]
    ) -> None:
        self._build = build
        self._keep = keep
        self._values: OrderedDict[tuple[str, bytes], Loaded] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, path: Path) -> Loaded:
        """What file `path` gives now (:class:`~twin.errors.InputError` when it is not valid)."""
        text = read_text(path)
        key = (str(path), hashlib.blake2b(text.encode(), digest_size=16).digest())
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = self._build(*parse_document(text, path), str(path))
        if len(text) > KEPT_MAX_CHARS or not self._keep(value):
            return value
        with self._lock:
            self._values[key] = value
            while len(self._values) > FILES_KEPT:
                self._values.popitem(last=False)
        return value


def load_park(source: str | Path | Mapping[str, Any] = DEFAULT_PARK) -> Park:
    """A validated :class:`Park` from a file path, a bundled name or a dict.

    A file is read at every call; while its text is the same, the park it gives is the same
    (frozen) object (see :data:`FILES_KEPT`).
    """
    if isinstance(source, Mapping):
        data = dict(source)
        return check_park(validate_data(Park, data, "<park dict>"), data, "<park dict>")
    return _PARKS.read(resolve(source, "park"))


def _not_a_problem(data: Any, name: str, expected: str) -> None:
    """A decision problem given where a park or scenario belongs: one line, not a field list."""
    if isinstance(data, dict) and "problem" in data and "variables" in data:
        raise InputError(
            name, f"is a decision-problem file (for parktwin optimize); expected {expected}", line=1
        )


def _park_from(data: Any, lines: Lines, name: str) -> Park:
    _not_a_problem(data, name, "a park file")
    if isinstance(data, dict) and "scenario" in data and "park" not in data:
        raise InputError(name, "is a scenario file; expected a park file", line=1)
    return check_park(validate_data(Park, data, name, lines), data, name, lines)


def load_scenario(source: str | Path | Mapping[str, Any]) -> Scenario:
    """A validated :class:`Scenario` from a file path, a bundled name or a dict."""
    if isinstance(source, Mapping):
        return validate_data(Scenario, dict(source), "<scenario dict>")
    return _SCENARIOS.read(resolve(source, "scenario"))


def _scenario_from(data: Any, lines: Lines, name: str) -> Scenario:
    _not_a_problem(data, name, "a scenario file")
    if isinstance(data, dict) and "park" in data and "scenario" not in data:
        raise InputError(name, "is a park file; expected a scenario file", line=1)
    return validate_data(Scenario, data, name, lines)


_PARKS = _Kept(_park_from, keep=lambda park: not park.extensions)
"""Parks read from files; one with plugin assets is read anew each time, since whether it is
valid depends on the asset families registered at the time."""
_SCENARIOS = _Kept(_scenario_from, keep=lambda _: True)


def scenario_path(source: str | Path) -> Path:
    """The file behind a scenario path or bundled name."""
    return resolve(source, "scenario")


def _any_path(source: str | Path) -> Path:
    """The file behind a path, or a bundled park or scenario name (parks first)."""
    refuse_web_address(source, "park or scenario")
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
