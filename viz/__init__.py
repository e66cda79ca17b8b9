"""3D views of a park and playback of its recorded runs, with PyVista.

The public API is two calls; both read recorded :class:`~twin.sim.trace.Trace` objects and never
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

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from viz.options import RenderOptions, RunSource

if TYPE_CHECKING:
    from twin.sim.trace import Trace

__all__ = ["RenderOptions", "RunSource", "render", "show"]


def render(
    trace_or_traces: Trace | Sequence[Trace],
    out: str | os.PathLike[str],
    options: RenderOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    **changes: Any,
) -> Path:
    """Render traces offscreen into a picture, a video or a page, atomically.

    Args:
        trace_or_traces: One trace, or two to show side by side, synchronised, with one
            camera (A/B: the baseline first).
        out: The file to write; its suffix picks the kind: ``.png``, ``.mp4``, ``.gif``
            or ``.html``.
        options: How to draw (:class:`~viz.options.RenderOptions`: ``at`` for a ``.png`` or
            ``.html``, ``start``/``end`` for a video, ``size``, ``fps``, ``speed``,
            ``camera``, ``captions``, ``jobs``, ``labels``).
        progress: Called with (frames done, frames in all) while a video is written.
        **changes: Fields of :class:`RenderOptions` to set, e.g. ``at="day 1 10:00"``.

    Returns:
        The path written.

    Raises:
        twin.errors.UsageError: Bad moments, sizes or format, or no offscreen OpenGL here
            (the message says what to install).
    """
    from viz.offscreen import render as draw  # PyVista and VTK load on the first call

    return draw(trace_or_traces, out, _options(options, changes), progress)


def show(
    trace_or_traces: Trace | Sequence[Trace],
    options: RenderOptions | None = None,
    **changes: Any,
) -> None:
    """Open an interactive window: the park, a time slider, play/pause (button or space).

    Args:
        trace_or_traces: One trace, or two side by side with linked cameras.
        options: ``start``/``end`` (the slider's span, default the whole run), ``speed``
            (simulated minutes per second playing), ``fps`` (updates per second), ``camera``,
            ``size`` of the window.
        **changes: Fields of :class:`RenderOptions` to set.

    Raises:
        twin.errors.UsageError: No display (neither DISPLAY nor WAYLAND_DISPLAY is set) or
            bad moments.
    """
    from viz.interactive import show as open_window  # PyVista and VTK load on the first call

    open_window(trace_or_traces, _options(options, changes))


def _options(options: RenderOptions | None, changes: dict[str, Any]) -> RenderOptions:
    """`options` (or the defaults) with `changes`; an unknown name is a TypeError, as usual."""
    return dataclasses.replace(options or RenderOptions(), **changes)
