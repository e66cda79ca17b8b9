"""Run `parktwin` as a real subprocess with a memory and time limit, and measure it.

The reliability cases (tests/test_cli_hostile.py, bench/reliability_table.py) feed the command
line hostile inputs. A regression there can mean unbounded memory or a process that never ends,
so every case runs in its own process group under ``RLIMIT_AS`` and a wall-clock limit: a bad
case fails fast instead of taking the machine down. ``os.wait4`` gives the peak resident memory
of the child (and the workers it waited for).

Set ``PARKTWIN_SOURCE`` to run another checkout's code (e.g. the commit before a fix) with this
interpreter: it is put first on ``PYTHONPATH``.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

MEMORY_LIMIT_BYTES = 2 * 1024**3
"""Address-space limit of a case: the guard that stops a runaway (peak RSS is checked apart)."""
TIMEOUT_EXIT = -999
"""The exit code reported for a case stopped at its time limit."""


@dataclass(frozen=True)
class Outcome:
    """How a command ended: exit code, output, wall-clock seconds and peak memory."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float

    @property
    def timed_out(self) -> bool:
        """True when the case was killed at its time limit."""
        return self.code == TIMEOUT_EXIT

    def describe(self) -> str:
        """One line for assertion messages."""
        return (
            f"exit {self.code} after {self.seconds:.1f} s, {self.peak_mb:.0f} MB; "
            f"stderr: {self.stderr[-1500:]!r}"
        )


def _limit_memory(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def command_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a case: one BLAS thread, no colour, optional other source tree."""
    env = dict(os.environ)
    env.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "NO_COLOR": "1"})
    env.pop("PARKTWIN_DEBUG", None)
    source = os.environ.get("PARKTWIN_SOURCE")
    if source:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


class Running:
    """A `parktwin` command started in its own process group; :meth:`finish` waits for it."""

    def __init__(
        self,
        args: Sequence[str | os.PathLike[str]],
        memory: int = MEMORY_LIMIT_BYTES,
        cwd: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
        prefix: Sequence[str] = (),
    ) -> None:
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish()
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        # -P: the working folder is not put on sys.path, so PARKTWIN_SOURCE decides the code
        command = [*prefix, sys.executable, "-P", "-m", "cli", *map(str, args)]
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=self._err,
            cwd=cwd,
            env=command_env(env),
            start_new_session=True,
            preexec_fn=_limit_memory(memory),
        )

    @property
    def pid(self) -> int:
        """The process id of the command."""
        return self.process.pid

    def send(self, signum: int) -> None:
        """Send a signal to the command alone (as `kill` or a scheduler does)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def finish(self, timeout: float) -> Outcome:
        """Wait up to `timeout` seconds, then kill the whole group; return the outcome."""
        deadline = self.started + timeout
        status, usage = 0, None
        while True:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                _, status, usage = os.wait4(self.pid, 0)
                status = None
                break
            time.sleep(0.02)
        seconds = time.monotonic() - self.started
        self.process.returncode = 0  # reaped by wait4: keep Popen from waiting again
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # workers left behind, if any
        code = TIMEOUT_EXIT if status is None else os.waitstatus_to_exitcode(status)
        return Outcome(code, self._read(self._out), self._read(self._err), seconds,
                       usage.ru_maxrss / 1024 if usage else 0.0)  # fmt: skip

    @staticmethod
    def _read(handle: tempfile._TemporaryFileWrapper | object) -> str:
        handle.seek(0)  # type: ignore[attr-defined]
        text = handle.read().decode("utf-8", "replace")  # type: ignore[attr-defined]
        handle.close()  # type: ignore[attr-defined]
        return text


def parktwin(
    *args: str | os.PathLike[str],
    timeout: float = 10.0,
    memory: int = MEMORY_LIMIT_BYTES,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
) -> Outcome:
    """Run ``parktwin ARGS`` to the end (or its time limit) and return the outcome."""
    return Running(args, memory, cwd, env, prefix).finish(timeout)


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.01) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def in_small_filesystem(size: str, read_only: bool = False) -> list[str] | None:
    """A command prefix that runs in a private mount namespace with a tmpfs on ``$SCRATCH``.

    The tmpfs of `size` (e.g. ``"256k"``) is mounted on the folder named by the environment
    variable ``SCRATCH`` of the command, so a full or read-only disk can be tested without
    touching the machine's mounts. None when user namespaces are not available.
    """
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt 2>/dev/null"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        return None
    options = f"size={size}" + (",ro" if read_only else "")
    return [
        "unshare",
        "-rm",
        "sh",
        "-c",
        f'mount -t tmpfs -o {options} tmpfs "$SCRATCH" && exec "$@"',
        "sh",
    ]


def repo_root() -> Path:
    """The checkout these tests belong to."""
    return Path(__file__).resolve().parent.parent
