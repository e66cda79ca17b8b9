"""The 3D park in the browser: the vtk.js page of ``parktwin render --out park.html``.

Why a vtk.js export and not trame: the export is the very scene ``parktwin render`` draws
(:mod:`viz.page`), it is one self-contained file that the browser turns and zooms with no
server-side rendering, so twenty open pages cost nothing more than one, and it needs no
websocket back to a VTK process. Its limit: it holds one moment of a simulated run of the
park, not the live state. The page asks for the moment at the live state's time of day,
rendered once per quarter hour in a worker process (a few seconds) and then kept.
"""

from __future__ import annotations

import html
import multiprocessing
import os
import re
import sys
import threading
from multiprocessing.process import BaseProcess
from pathlib import Path

from starlette.responses import FileResponse, HTMLResponse, Response

from twin.io.inputs import read_park
from twin.language import language_of
from viz.options import RenderOptions, RunSource

WAITING = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="2"><title>3D</title><style>body{{background:#0f1a26;
color:#dee2e6;font:15px 'DejaVu Sans',sans-serif;display:flex;align-items:center;
justify-content:center;height:90vh}}</style></head><body><p>{message}</p></body></html>"""
FAILED = WAITING.replace('<meta http-equiv="refresh" content="2">', "")


WORKER_NAME = "parktwin-3d"
LOOPBACK = "127.0.0.1"


def isolate_worker() -> None:
    """Give this worker process its own command line, and keep trame's server on loopback.

    A spawned process starts with its parent's ``sys.argv`` (``parktwin serve --host 0.0.0.0``,
    or pytest's ``-p no:cacheprovider``), and the exporter's temporary trame server parses it
    (``-p`` is its ``--port``; ``--host`` its address). The worker drops those arguments and hands
    trame its own, through ``TRAME_ARGS``, which also overrides ``TRAME_DEFAULT_HOST``: the server
    listens on loopback only, whatever address the page is served on.
    """
    sys.argv = [WORKER_NAME]
    os.environ["TRAME_ARGS"] = f"--host {LOOPBACK}"


def render_page(park_source: str, out: str, at: str) -> None:
    """The worker process: write the 3D page of the park at ``day 0 HH:MM``."""
    isolate_worker()
    from viz.offscreen import render_run  # pyvista and VTK load only in this process

    language = language_of(None, read_park(park_source).park.language)
    options = RenderOptions(at=f"day 0 {at}", size=(1280, 720), labels=False, lang=language)
    render_run(out, RunSource(park=park_source), options)


def quarter(at: str | None) -> str:
    """``HH:MM`` rounded down to the quarter hour; 10:00 when absent or not a time of day."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", at or "")
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return "10:00"
    return f"{int(match.group(1)):02d}:{int(match.group(2)) // 15 * 15:02d}"


class ThreeD:
    """Renders the 3D pages one at a time and keeps them in `folder`.

    Args:
        park_source: the served park's file path or bundled name.
        folder: where the pages are kept while the server runs.
    """

    def __init__(self, park_source: str, folder: Path) -> None:
        self.park_source = park_source
        self.folder = folder
        self._lock = threading.Lock()
        self._running: tuple[str, BaseProcess] | None = None
        self._failed: dict[str, str] = {}
        self._context = multiprocessing.get_context("spawn")

    def path(self, at: str) -> Path:
        """Where the page of time of day `at` is kept."""
        return self.folder / f"park-3d-{at.replace(':', '')}.html"

    def response(self, at: str | None) -> Response:
        """The page when ready; else start it (if nothing else renders) and answer 'wait'."""
        moment = quarter(at)
        page = self.path(moment)
        if page.exists():
            return FileResponse(page, media_type="text/html")
        with self._lock:
            self._reap()
            if moment in self._failed:
                text = f"Không dựng được cảnh 3D: {html.escape(self._failed[moment])}"
                return HTMLResponse(FAILED.format(message=text), status_code=500)
            if self._running is None:
                process = self._context.Process(
                    target=render_page,
                    args=(self.park_source, str(page), moment),
                    name="parktwin-3d",
                    daemon=True,
                )
                process.start()
                self._running = (moment, process)
        text = f"Đang dựng cảnh 3D của khu công nghiệp lúc {moment}…"
        return HTMLResponse(WAITING.format(message=text), status_code=202)

    def _reap(self) -> None:
        if self._running is None or self._running[1].is_alive():
            return
        moment, process = self._running
        process.join()
        self._running = None
        if process.exitcode != 0 or not self.path(moment).exists():
            self._failed[moment] = (
                f"the renderer ended with status {process.exitcode} "
                "(is the viz extra installed and offscreen OpenGL available?)"
            )

    def close(self) -> None:
        """End a render in progress."""
        with self._lock:
            if self._running is not None and self._running[1].is_alive():
                self._running[1].terminate()
                self._running[1].join(timeout=5)
            self._running = None
