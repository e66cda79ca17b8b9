"""One root for the library's errors, mapped once to exit codes (console.errors) and once to HTTP
status (web.app.STATUS_OF): each class reaches the code SPEC.md gives it."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from starlette.testclient import TestClient
from typer.testing import CliRunner

import console.signals
import twin
from console.errors import FLAGS, exit_status, guarded, message
from twin.errors import (
    InputError,
    InputErrors,
    ParktwinError,
    PluginError,
    SettingError,
    UsageError,
)
from twin.experiment.runner import Failure, Interrupted, ReplicationError
from twin.io.load import load_park
from twin.live.messages import BadMessage
from twin.model.clock import BadTime
from twin.model.scenario import PathError
from twin.model.schema import Problem, Problems
from web.app import BadRequest, Services, create_app
from web.jobs import Busy
from web.server import build_services

from .web_helpers import feed

FAILURE = Failure(case="demo", replication=3, seed=7, error="RuntimeError: boom")
CASES: list[tuple[BaseException, int, int]] = [
    (InputError("park.yaml", "no such gate 'g9'", "logistics.flows[0].gate", 12), 2, 400),
    (UsageError("`days` must be more than 0"), 2, 400),
    (SettingError("step_min", "must be more than 0, got 0"), 2, 400),
    (PluginError("plugin 'x' cannot be loaded"), 2, 400),
    (InputErrors([InputError("p.yaml", "a"), InputError("p.yaml", "b", "x", 3)]), 2, 400),
    (Problem(("logistics", "flows", 0, "gate"), "no such gate"), 2, 400),
    (Problems([Problem(("a",), "one"), Problem(("b",), "two")]), 2, 400),
    (PathError("the path matches nothing"), 2, 400),
    (BadMessage("time: not a time"), 2, 400),
    (BadTime("'x' is not an ISO 8601 time"), 2, 400),
    (ReplicationError([FAILURE]), 1, 500),
]
"""(error, exit status, HTTP status) for every class the library raises on purpose."""


def _library_classes() -> set[type[ParktwinError]]:
    """Every subclass of ParktwinError defined in twin/ (all its modules imported)."""
    for info in pkgutil.walk_packages(twin.__path__, "twin."):
        if "_bundled" not in info.name and not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found: set[type[ParktwinError]] = set()
    todo = [ParktwinError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("twin.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_library_error_derives_from_the_root_and_is_covered_here() -> None:
    classes = _library_classes()
    assert {type(e) for e, _, _ in CASES} == classes, "add the new class to CASES"
    for cls in (InputError, UsageError, Problem, PathError, BadMessage, ReplicationError):
        assert issubclass(cls, ParktwinError)
    # the ones that were ValueError or RuntimeError still are
    assert issubclass(Problem, ValueError) and issubclass(PathError, ValueError)
    assert issubclass(BadMessage, ValueError) and issubclass(ReplicationError, RuntimeError)
    # an interruption is not an Exception: no `except Exception` swallows Ctrl-C
    assert issubclass(Interrupted, KeyboardInterrupt) and not issubclass(Interrupted, Exception)


def command_raising(exc: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @guarded
    def boom() -> None:
        raise exc

    return app


@pytest.mark.parametrize(
    ("error", "code"),
    [(e, c) for e, c, _ in CASES]
    + [(Interrupted(), 130), (KeyboardInterrupt(), 130), (ZeroDivisionError("x"), 1)],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_each_error_exits_with_its_status(error: BaseException, code: int) -> None:
    result = CliRunner().invoke(command_raising(error), [])
    assert result.exit_code == code, result.output
    assert exit_status(error) == code
    assert "Traceback" not in result.output
    assert result.output.startswith("parktwin: ")
    if code == 2:
        assert result.output.strip() == f"parktwin: {error.named(FLAGS)}"  # type: ignore[attr-defined]
    elif code == 1:
        assert "internal error:" in result.output


def test_sigterm_turns_an_interruption_into_143(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console.signals, "_terminated", [15])
    assert exit_status(Interrupted()) == 143
    assert message(KeyboardInterrupt()) == "terminated (SIGTERM)"


def test_messages_name_parameters_by_python_name_and_the_cli_by_flag() -> None:
    error = SettingError("step_min", "must be more than 0, with `backend` local")
    assert str(error) == "step_min must be more than 0, with backend local"
    assert message(error) == "--step-min must be more than 0, with --backend local"
    replication = ReplicationError([FAILURE])
    assert "rerun it alone with seed 7 first_replication 3 replications 1" in str(replication)
    assert "--seed 7 --first-replication 3 --replications 1" in message(replication)


# --------------------------------------------------------------------------- the web


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Services]]:
    store = tmp_path / "live.db"
    with feed(load_park("demo-small"), store):
        pass
    services = build_services("demo-small", store, tmp_path / "scratch")
    with TestClient(create_app(services), base_url="http://127.0.0.1") as test_client:
        yield test_client, services
    services.jobs.close()


@pytest.mark.parametrize(
    ("error", "status"),
    [(e, s) for e, _, s in CASES] + [(BadRequest("at: bad"), 400), (Busy("wait"), 429)],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_each_error_answers_with_its_http_status(
    served: tuple[TestClient, Services], error: Exception, status: int
) -> None:
    client, services = served

    def state(at: object = None) -> dict[str, object]:
        raise error

    services.source.state = state  # type: ignore[union-attr, method-assign]
    answer = client.get("/api/state")
    assert answer.status_code == status, answer.text
    assert answer.json() == {"error": str(error)}
