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
from twin.language import Language, language_of, say
from viz.options import RenderOptions, RunSource

WAITING = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="2"><title>3D</title><style>body{{background:#0f1a26;
color:#dee2e6;font:15px 'DejaVu Sans',sans-serif;display:flex;align-items:center;
justify-content:center;height:90vh}}</style></head><body><p>{message}</p></body></html>"""
FAILED = WAITING.replace('<meta http-equiv="refresh" content="2">', "")


def _page(template: str, lang: Language, message: str) -> str:
    """The waiting or failure page in `lang` with its message."""
    return template.format(lang=lang, message=message)


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


def render_page(park_source: str, out: str, at: str, lang: Language) -> None:
    """The worker process: write the 3D page of the park at ``day 0 HH:MM`` in `lang`."""
    isolate_worker()
    from viz.offscreen import render_run  # pyvista and VTK load only in this process

    options = RenderOptions(at=f"day 0 {at}", size=(1280, 720), labels=False, lang=lang)
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
        lang: the pages' default language (None: the park's ``park.language``, else en).
    """

    def __init__(self, park_source: str, folder: Path, lang: str | None = None) -> None:
        self.park_source = park_source
        self.folder = folder
        self.lang = language_of(lang, read_park(park_source).park.language)
        self._lock = threading.Lock()
        self._running: tuple[Path, BaseProcess] | None = None
        self._failed: dict[Path, str] = {}
        self._context = multiprocessing.get_context("spawn")

    def path(self, at: str, lang: Language) -> Path:
        """Where the page of time of day `at` in `lang` is kept."""
        return self.folder / f"park-3d-{at.replace(':', '')}-{lang}.html"

    def response(self, at: str | None, lang: str | None = None) -> Response:
        """The page when ready; else start it (if nothing else renders) and answer 'wait'.

        `lang` is the page's language (None: the default of :class:`ThreeD`).
        """
        moment = quarter(at)
        language = language_of(lang, self.lang)
        page = self.path(moment, language)
        if page.exists():
            return FileResponse(page, media_type="text/html")
        with self._lock:
            self._reap()
            if page in self._failed:
                text = say("web.3d_failed", language, why=html.escape(self._failed[page]))
                return HTMLResponse(_page(FAILED, language, text), status_code=500)
            if self._running is None:
                process = self._context.Process(
                    target=render_page,
                    args=(self.park_source, str(page), moment, language),
                    name="parktwin-3d",
                    daemon=True,
                )
                process.start()
                self._running = (page, process)
        text = say("web.3d_waiting", language, at=moment)
        return HTMLResponse(_page(WAITING, language, text), status_code=202)

    def _reap(self) -> None:
        if self._running is None or self._running[1].is_alive():
            return
        page, process = self._running
        process.join()
        self._running = None
        if process.exitcode != 0 or not page.exists():
            self._failed[page] = (
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
