"""A real Mosquitto broker for tests and benches: a generated config, a free loopback port,
start, kill (-9) and restart on the same port, stop; and the `parktwin` command run against it
(:func:`start_live` starts the live twin the one way every test does)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
REPO = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "parktwin"
PARKTWIN = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "cli"]
"""The command line as a user starts it (the console script, else ``python -m cli``)."""


def available() -> bool:
    """Whether the mosquitto binary is installed (scripts/setup.sh installs it)."""
    return os.path.exists(MOSQUITTO)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mosquitto:
    """One broker process on 127.0.0.1; `url` is its address."""

    def __init__(self, folder: Path, max_queued: int = 1_000_000, tls: bool = False) -> None:
        self.folder = folder
        self.port = free_port()
        self.tls = tls
        self.config = folder / "mosquitto.conf"
        self.log = folder / "mosquitto.log"
        folder.mkdir(parents=True, exist_ok=True)
        tls_lines = self._certificates() if tls else ""
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n" + tls_lines + "allow_anonymous true\n"
            f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
            f"max_queued_messages {max_queued}\n"
            "max_inflight_messages 100\n"
            "persistence false\n"
            f"log_dest file {self.log}\n"
            "log_type error\nlog_type warning\nlog_type notice\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def _certificates(self) -> str:
        """A throw-away CA and a server certificate for 127.0.0.1 (openssl), as config lines."""
        f = self.folder

        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=f)

        openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=parktwin-test-ca",
        )
        openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        )
        (f / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n", encoding="utf-8")
        openssl(
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        )
        return f"cafile {f / 'ca.pem'}\ncertfile {f / 'server.pem'}\nkeyfile {f / 'server.key'}\n"

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self) -> Mosquitto:
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen within 10 s")

    def kill(self) -> None:
        """Kill -9: the broker vanishes without a goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll `condition` every 0.1 s; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def start_live(
    url: str, store: Path, *extra: str, park: str = "demo-small"
) -> subprocess.Popen[str]:
    """`parktwin live PARK --broker URL --store STORE EXTRA...` as a subprocess, pipes open.

    Args:
        url: The broker's address.
        store: The live store file.
        *extra: More command-line options, e.g. ``"--client-id", "a"``.
        park: A bundled park's name or a park file.

    Returns:
        The running twin, its stdout and stderr as text pipes.
    """
    return subprocess.Popen(
        [*PARKTWIN, "live", park, "--broker", url, "--store", str(store), *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_connected(twin: subprocess.Popen[str]) -> str:
    """The twin's first stderr line, which must say it connected to the broker.

    If the twin has exited instead, the failure shows the rest of what it wrote.
    """
    assert twin.stderr is not None
    line = twin.stderr.readline()
    if "connected to" not in line:
        with contextlib.suppress(subprocess.TimeoutExpired):
            twin.wait(timeout=10)
        if twin.poll() is not None:
            line += twin.stderr.read()
    assert "connected to" in line, line
    return line
