"""The 3D page's worker process: it reads none of the server's arguments, and the exporter's
temporary trame server listens on loopback only, even when the page is served on every address.

Each check runs in a fresh interpreter (not pytest: trame ignores ``sys.argv`` once pytest is
imported) whose ``sys.argv`` is a server's that trame would misread.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("trame_pyvista")

SERVER_ARGV = ["parktwin", "serve", "--host", "0.0.0.0", "--port", "8050", "-p", "no:cacheprovider"]

LAUNCH = """
import json, sys
sys.argv = {argv!r}
if {isolate}:
    from web.threed import isolate_worker
    isolate_worker()
import pyvista as pv
from trame_pyvista.jupyter import elegantly_launch
from trame_pyvista.widgets import get_server
name = pv.global_theme.trame.jupyter_server_name
elegantly_launch(name)
port = get_server(name).port
listening = []
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    for row in open(table).read().splitlines()[1:]:
        local, state = row.split()[1], row.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            listening.append(address)
print(json.dumps({{"port": port, "listening": listening, "pytest": "pytest" in sys.modules}}))
"""


def launch(isolate: bool) -> subprocess.CompletedProcess[str]:
    """Start trame's server as the exporter does, in a process with a server's argv."""
    code = textwrap.dedent(LAUNCH.format(argv=SERVER_ARGV, isolate=isolate))
    env = {k: v for k, v in os.environ.items() if k != "TRAME_ARGS"}
    env["TRAME_DEFAULT_HOST"] = "0.0.0.0"  # asks for every address; loopback must win
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )


def test_without_the_isolation_trame_reads_the_server_argv() -> None:
    """The check below can fail: a server's argv breaks trame's server (``-p`` as its port)."""
    done = launch(isolate=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "argument -p/--port: invalid int value: 'no:cacheprovider'" in done.stderr


def test_the_worker_s_trame_server_listens_on_loopback_only() -> None:
    done = launch(isolate=True)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["pytest"] is False  # trame did look at sys.argv
    assert report["port"] != 8050
    # 0100007F is 127.0.0.1 in /proc/net/tcp (little-endian); nothing on 0.0.0.0 or ::
    assert report["listening"] == ["0100007F"], report


RENDER = """
import sys, time
sys.argv = {argv!r}
from pathlib import Path
from web.threed import ThreeD
threed = ThreeD("demo-small", Path({folder!r}))
deadline = time.monotonic() + 240
while time.monotonic() < deadline:
    answer = threed.response("10:07")
    if answer.status_code != 202:
        break
    time.sleep(0.5)
threed.close()
print(answer.status_code, bytes(answer.body).decode()[:300] if hasattr(answer, "body") else "")
"""


@pytest.mark.render
def test_the_3d_page_renders_under_a_server_argv_that_trame_would_misread(
    tmp_path: Path,
) -> None:
    """End to end: the page is drawn by a worker started from a process with a server's argv."""
    code = textwrap.dedent(RENDER.format(argv=SERVER_ARGV, folder=str(tmp_path)))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("200"), (done.stdout, done.stderr[-3000:])
    page = tmp_path / "park-3d-1000-en.html"  # demo-small names no language: English
    assert page.exists() and page.stat().st_size > 10_000
