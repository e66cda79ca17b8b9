"""The reader of decision problem files (``parktwin optimize``).

Apart from :mod:`twin.io.load` so that reading a park or a scenario does not load the problem's
models.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from twin.errors import InputError
from twin.io.bundled import resolve
from twin.io.documents import read_document
from twin.model.problem import DecisionProblem, check_problem
from twin.model.validate import validate_data


def load_problem(source: str | Path | Mapping[str, Any]) -> tuple[DecisionProblem, str]:
    """A validated :class:`DecisionProblem` and the name of its file (or ``<problem dict>``)."""
    if isinstance(source, Mapping):
        name, problem = (
            "<problem dict>",
            validate_data(DecisionProblem, dict(source), "<problem dict>"),
        )
    else:
        path = resolve(source, "problem")
        name, (data, lines) = str(path), read_document(path)
        if isinstance(data, dict) and "problem" not in data:
            kind = "scenario" if "scenario" in data else "park" if "park" in data else "document"
            raise InputError(name, f"is a {kind} file; expected a decision problem", line=1)
        problem = validate_data(DecisionProblem, data, name, lines)
    check_problem(problem, name)
    return problem, name
