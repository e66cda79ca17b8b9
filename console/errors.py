"""Errors as the command line shows them: one message on stderr and the exit status of SPEC.md.

:data:`EXIT_STATUS` maps the library's errors to exit codes, the one place that does; every
message is shown with the library's parameter names turned into flags (:data:`FLAGS`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from console import startup
from console.signals import terminated

F = TypeVar("F", bound=Callable[..., Any])

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

FLAGS = {
    "days": "--days",
    "hours": "--hours",
    "lang": "--lang",
    "target": "--target",
    "warmup_days": "--warmup-days",
    "seed": "--seed",
    "replications": "--replications",
    "jobs": "--jobs",
    "step_min": "--step-min",
    "backend": "--backend",
    "scheduler": "--scheduler",
    "precision": "--precision",
    "precision_kpis": "--kpi",
    "kpis": "--kpi",
    "max_replications": "--max-replications",
    "warmup_auto": "--warmup auto",
    "first_replication": "--first-replication",
    "vary": "--vary",
    "holdout": "--holdout",
    "at": "--at",
    "start": "--from",
    "end": "--to",
    "speed": "--speed",
    "alerts": "--alert",
    "nowcast_every": "--nowcast-every",
    "every_min": "--every",
    "broker": "--broker",
    "topic_prefix": "--topic-prefix",
    "batch": "--batch",
    "tls_ca": "--tls-ca",
    "tls_cert": "--tls-cert",
    "tls_key": "--tls-key",
    "simulate": "--simulate",
    "replay": "--replay",
    "store": "--store",
    "scenario": "--scenario",
    "sensors_out": "--sensors-out",
    "keep_days": "--keep-days",
    "n1": "--n1",
    "power_factor": "--power-factor",
}
"""The command-line flag of each parameter the library names in its messages."""


def exit_status(exc: BaseException) -> int:
    """The exit status of an error that ends a command (SPEC.md, "Exit status").

    The one mapping from the library's errors to exit codes: an interruption is 130 (143 after
    SIGTERM), replications that failed twice or anything unexpected is 1, and every other
    :class:`~twin.errors.ParktwinError` is bad input, 2.
    """
    from twin.errors import ParktwinError
    from twin.experiment.runner import ReplicationError

    if isinstance(exc, KeyboardInterrupt):
        return EXIT_TERMINATED if terminated() else EXIT_INTERRUPTED
    if isinstance(exc, ReplicationError):
        return EXIT_INTERNAL
    if isinstance(exc, ParktwinError):
        return EXIT_BAD_INPUT
    return EXIT_INTERNAL


def message(exc: BaseException) -> str:
    """The one line the command line prints for `exc`, parameters named by their flags."""
    from twin.errors import ParktwinError

    text = exc.named(FLAGS) if isinstance(exc, ParktwinError) else str(exc)
    status = exit_status(exc)
    if status == EXIT_BAD_INPUT:
        return text
    if status == EXIT_INTERNAL:
        text = (
            f"internal error: {type(exc).__name__}: {text} "
            "(set PARKTWIN_DEBUG=1 for the traceback and please report it)"
        )
    else:
        text = "terminated (SIGTERM)" if status == EXIT_TERMINATED else "interrupted"
    return "; ".join([text, *getattr(exc, "__notes__", [])])


def fail(text: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print one message on stderr and return the Exit to raise."""
    typer.echo(f"parktwin: {text}", err=True)
    return typer.Exit(code)


def guarded(command: F) -> F:
    """Map errors to the exit codes of SPEC.md: never a traceback for bad input.

    The command starts with :func:`console.startup.settle` (collection back on).
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        startup.settle()
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except (Exception, KeyboardInterrupt) as exc:
            status = exit_status(exc)
            if status == EXIT_INTERNAL and os.environ.get("PARKTWIN_DEBUG"):
                raise
            raise fail(message(exc), status) from None

    return wrapper  # type: ignore[return-value]
