"""One way in: a park and a scenario, from whatever the caller has, as the engine runs them.

Every entry point (the API's run, compare, sweep and simulate, ``parktwin validate``, the 3D
views, calibration, the live twin and the web page) reads its park with :func:`read_park` and
its park and scenario together as :class:`Inputs` (:func:`resolve_inputs`), so they all agree:

- a park is a file path, a bundled name (:func:`twin.io.bundled.resolve` says which wins), a dict in
  the park format or a :class:`Park`;
- a scenario is likewise a path, a bundled name, a dict or a :class:`Scenario`;
- with no park, the scenario's ``base`` is the park: a path relative to the scenario's file
  when that file exists (else a bundled name or a path from the working directory), and with
  no base either, the bundled default park.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.errors import UsageError
from twin.io.bundled import DEFAULT_PARK, resolve
from twin.io.load import file_kind, load_park, load_scenario, scenario_path
from twin.model.scenario import apply_scenario
from twin.model.schema import Event, Park, Scenario

MAX_SCENARIO_DEPTH = 5
ParkSource = str | Path | Mapping[str, Any] | Park
"""A park as callers have it: a path, a bundled name, a dict in the park format, a Park."""
ScenarioSource = str | Path | Mapping[str, Any] | Scenario
"""A scenario as callers have it: a path, a bundled name, a dict, a Scenario."""


@dataclass(frozen=True)
class Inputs:
    """A park with a scenario applied: what the engine runs.

    Attributes:
        park: the park, the scenario's changes applied.
        scenario: the scenario, None for the park as is.
        events: the scenario's timed events.
        base: the park before the scenario's changes.
    """

    park: Park
    scenario: Scenario | None
    events: tuple[Event, ...]
    base: Park

    @property
    def scenario_name(self) -> str | None:
        """The scenario's name, or None for the park as is."""
        return self.scenario.scenario.name if self.scenario else None


def read_park(source: ParkSource | None = None) -> Park:
    """A :class:`Park` from any park source: the one way a park is read.

    Args:
        source: a path, a bundled name (:func:`twin.io.bundled.resolve`), a dict in the park
            format, or a Park (returned as is); None for the bundled default park.

    Raises:
        InputError: a park that cannot be read or is not valid (file, place and what is wrong).
    """
    if isinstance(source, Park):
        return source
    return load_park(source if source is not None else DEFAULT_PARK)


def read_scenario(source: ScenarioSource) -> tuple[Scenario, str]:
    """A :class:`Scenario` from any scenario source, and the name of its file for messages."""
    if isinstance(source, Scenario):
        return source, "<scenario>"
    if isinstance(source, Mapping):
        return load_scenario(source), "<scenario dict>"
    return load_scenario(source), str(scenario_path(source))


def scenario_base(scenario: Scenario, source: ScenarioSource | None) -> str | Path | None:
    """The park a scenario is written for (its ``base``), relative to its file when it has one.

    A relative base is first looked for beside the scenario's file; when nothing is there it
    is taken as given (a bundled name, or a path from the working directory).
    """
    if scenario.base is None:
        return None
    if source is None or isinstance(source, Scenario | Mapping):
        return scenario.base
    candidate = scenario_path(source).parent / scenario.base
    return candidate if candidate.exists() else scenario.base


def home_park(source: str | Path) -> Path:
    """The park file a scenario file is written for at the end of its chain of bases.

    A base that is itself a scenario is followed; no base is the bundled default park.

    Raises:
        InputError: a file in the chain cannot be read.
        UsageError: bases deeper than the limit (a loop).
    """
    current: str | Path = source
    for _ in range(MAX_SCENARIO_DEPTH):
        scenario, _name = read_scenario(current)
        base = scenario_base(scenario, current) or DEFAULT_PARK
        if file_kind(base) == "park":
            return resolve(base, "park").resolve()
        current = base
    raise UsageError(f"{source}: scenarios based on scenarios more than {MAX_SCENARIO_DEPTH} deep")


def resolve_inputs(
    park: ParkSource | None = None, scenario: ScenarioSource | None = None, depth: int = 0
) -> Inputs:
    """The park (or the scenario's base, or the default park) with the scenario applied.

    A scenario's base may be another scenario file: that scenario is applied first (its
    changes, then this one's; its events and this one's), down to a park.

    Raises:
        InputError: a park or scenario that cannot be read, is not valid, or does not apply.
    """
    if scenario is None:
        base = read_park(park)
        return Inputs(base, None, (), base)
    loaded, source = read_scenario(scenario)
    if depth >= MAX_SCENARIO_DEPTH:
        raise UsageError(
            f"{source}: scenarios based on scenarios more than {MAX_SCENARIO_DEPTH} deep "
            "(a loop of bases?)"
        )
    base, earlier = read_base(
        park if park is not None else scenario_base(loaded, scenario) or DEFAULT_PARK, depth
    )
    events = (*earlier, *loaded.events)
    return Inputs(apply_scenario(base, loaded, source), loaded, events, base)


def read_base(source: ParkSource | None, depth: int = 0) -> tuple[Park, tuple[Event, ...]]:
    """A park to apply a scenario to, and the events that come with it.

    A park source is the park with no events; a scenario file (a scenario based on another)
    is its park with its changes applied, and its events.
    """
    if isinstance(source, str | Path) and file_kind(source) == "scenario":
        inner = resolve_inputs(None, source, depth + 1)
        return inner.park, inner.events
    return read_park(source), ()


def common_base(scenarios: Sequence[tuple[ScenarioSource, Scenario]]) -> str | Path | None:
    """The park several scenarios are written for: their bases, which must agree.

    Raises:
        UsageError: two scenarios name different parks.
    """
    bases: dict[Path, tuple[str | Path, str]] = {}
    for source, loaded in scenarios:
        base = scenario_base(loaded, source)
        if base is not None:
            bases.setdefault(resolve(base, "park").resolve(), (base, str(source)))
    if len(bases) > 1:
        listed = ", ".join(f"{src}: {base}" for base, src in bases.values())
        raise UsageError(
            f"the scenarios are written for different parks ({listed}); name the park to "
            "compare on first: parktwin compare PARK SCENARIO..."
        )
    return next(iter(bases.values()))[0] if bases else None


def check_file(source: str | Path) -> tuple[str, str]:
    """Validate a park or scenario file; return its kind and name (raise InputError if bad).

    A scenario is also applied to its base park, found as :func:`resolve_inputs` finds it
    (relative to the scenario's file), so that changes that name nothing, or that leave an
    invalid park behind, are caught too.
    """
    kind, name, _ = checked_file(source)
    return kind, name


def checked_file(source: str | Path) -> tuple[str, str, Park]:
    """:func:`check_file`, and the park the file describes (a scenario's: after its changes)."""
    if file_kind(source) == "park":
        park = read_park(source)
        return "park", park.park.name, park
    inputs = resolve_inputs(None, source)
    assert inputs.scenario is not None
    return "scenario", inputs.scenario.scenario.name, inputs.park
