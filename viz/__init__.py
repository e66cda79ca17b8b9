"""3D views of a park and playback of its recorded runs, with PyVista.

The public API is two calls; both read recorded :class:`~twin.trace.Trace` objects and never
simulate (:func:`viz.sources.traces_for` does that for the command line):

- :func:`render` writes a ``.png`` (one moment), ``.mp4`` or ``.gif`` (a span) or ``.html``
  (a standalone page of one moment), offscreen, on machines without display or GPU.
- :func:`show` opens an interactive window with a time slider and play/pause.

Importing :mod:`viz` is cheap: PyVista and VTK load on the first call. The modules, one job each:
:mod:`~viz.scene` (park to meshes), :mod:`~viz.frames` (trace to per-frame arrays, pure numpy),
:mod:`~viz.palette` (colours), :mod:`~viz.overlay` (2D text), :mod:`~viz.playback` (the plotter
loop), :mod:`~viz.offscreen` (which file, which moments, parallel parts), :mod:`~viz.export`
(encoders and atomic files), :mod:`~viz.page` (html), :mod:`~viz.interactive` (the window),
:mod:`~viz.headless` (offscreen probe), :mod:`~viz.clock` (``"day D HH:MM"``),
:mod:`~viz.sources` (traces for the CLI).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twin.trace import Trace

__all__ = ["render", "show"]


def render(
    trace_or_traces: Trace | Sequence[Trace],
    out: str | os.PathLike[str],
    *,
    at: str | float | None = None,
    start: str | float | None = None,
    end: str | float | None = None,
    size: str | tuple[int, int] = (1280, 720),
    fps: float = 25.0,
    speed: float = 60.0,
    camera: str = "overview",
    captions: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
    labels: bool = True,
) -> Path:
    """Render traces offscreen into a picture, a video or a page, atomically.

    Args:
        trace_or_traces: One trace, or two to show side by side, synchronised, with one
            camera (A/B: the baseline first).
        out: The file to write; its suffix picks the kind: ``.png``, ``.mp4``, ``.gif``
            or ``.html``.
        at: The moment of a ``.png`` or ``.html``: minutes from the start of the horizon or
            ``"day D HH:MM"`` (day 0 is the first day). Default: day 0 10:00.
        start: First moment of a video (default: day 0 00:00).
        end: Last moment of a video (default: a day after `start`, within the run).
        size: ``(width, height)`` or ``"WxH"`` in pixels; videos round down to multiples
            of 16.
        fps: Video frames per second.
        speed: Simulated minutes per second of video: a video of ``start..end`` lasts
            ``(end - start) / speed`` seconds and has ``ceil((end - start) * fps / speed)``
            frames.
        camera: ``overview``, ``oblique`` or ``top``.
        captions: A caption per view (default: park and scenario names).
        progress: Called with (frames done, frames in all) while a video is written.
        jobs: Processes drawing a long mp4, each a part of the span (default: half the
            cores for 160 frames or more on 4 cores or more, else 1).
        labels: Draw building, gate and utility names.

    Returns:
        The path written.

    Raises:
        twin.errors.UsageError: Bad moments, sizes or format, or no offscreen OpenGL here
            (the message says what to install).
    """
    from viz.offscreen import render as _render

    return _render(
        trace_or_traces,
        out,
        at=at,
        start=start,
        end=end,
        size=size,
        fps=fps,
        speed=speed,
        camera=camera,
        captions=captions,
        progress=progress,
        jobs=jobs,
        labels=labels,
    )


def show(
    trace_or_traces: Trace | Sequence[Trace],
    *,
    start: str | float | None = None,
    end: str | float | None = None,
    speed: float = 60.0,
    fps: float = 25.0,
    camera: str = "overview",
    size: str | tuple[int, int] = (1280, 720),
) -> None:
    """Open an interactive window: the park, a time slider, play/pause (button or space).

    Args:
        trace_or_traces: One trace, or two side by side with linked cameras.
        start: First moment on the slider (default: day 0 00:00).
        end: Last moment (default: the end of the run).
        speed: Simulated minutes per second while playing.
        fps: Updates per second while playing.
        camera: Initial camera preset: ``overview``, ``oblique`` or ``top``.
        size: Window size, ``(width, height)`` or ``"WxH"``.

    Raises:
        twin.errors.UsageError: No display (neither DISPLAY nor WAYLAND_DISPLAY is set) or
            bad moments.
    """
    from twin.errors import UsageError
    from twin.trace import Trace
    from viz.clock import check_within, format_moment, parse_moment
    from viz.export import parse_size
    from viz.interactive import show as _show

    traces = [trace_or_traces] if isinstance(trace_or_traces, Trace) else list(trace_or_traces)
    lo = max(-t.warmup_min for t in traces)
    hi = min(t.horizon_min for t in traces)
    t0 = parse_moment(start, "--from") if start is not None else max(0.0, lo)
    t1 = parse_moment(end, "--to") if end is not None else hi
    check_within(t0, lo, hi, "--from")
    check_within(t1, lo, hi, "--to")
    if t1 <= t0:
        raise UsageError(f"--to {format_moment(t1)} must come after --from {format_moment(t0)}")
    _show(traces, t0, t1, speed=speed, fps=fps, camera=camera, size=parse_size(size))
