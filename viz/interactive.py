"""The interactive window: the park at a moment, a time slider, play and pause.

Needs a display; :func:`show` says so clearly (a :class:`~twin.errors.UsageError`) instead of
letting VTK fail when there is none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twin.errors import UsageError
from twin.sim.trace import Trace
from viz import headless, palette
from viz.clock import check_within, format_moment, parse_day_time
from viz.export import parse_size
from viz.options import RenderOptions, RunSource
from viz.playback import Player
from viz.sources import traces_for

NO_DISPLAY = (
    "parktwin show opens a window and needs a display, but neither DISPLAY nor "
    "WAYLAND_DISPLAY is set; on a machine without one, write a picture or video instead: "
    "parktwin render --out park.png (or day.mp4)"
)


def show(traces: Trace | Sequence[Trace], options: RenderOptions) -> None:
    """Open the window and block until it is closed; see :func:`viz.show`."""
    views = [traces] if isinstance(traces, Trace) else list(traces)
    start, end = _slider_span(views, options)
    if not headless.has_display():
        raise UsageError(NO_DISPLAY)
    _window(views, start, end, options)


def _slider_span(traces: Sequence[Trace], options: RenderOptions) -> tuple[float, float]:
    """The moments the slider covers: ``options.start .. options.end`` within the runs."""
    lo = max(-t.warmup_min for t in traces)
    hi = min(t.horizon_min for t in traces)
    t0 = parse_day_time(options.start, "--from") if options.start is not None else max(0.0, lo)
    t1 = parse_day_time(options.end, "--to") if options.end is not None else hi
    check_within(t0, lo, hi, "--from")
    check_within(t1, lo, hi, "--to")
    if t1 <= t0:
        raise UsageError(f"--to {format_moment(t1)} must come after --from {format_moment(t0)}")
    return t0, t1


def _window(traces: Sequence[Trace], start: float, end: float, options: RenderOptions) -> None:
    """The window itself: slider, play/pause button and key, timer."""
    size = parse_size(options.size)
    speed, fps, camera = options.speed, options.fps, options.camera
    player = Player(
        traces,
        start,
        end,
        size=size,
        off_screen=False,
        camera=camera,
        multi_samples=4,
        vtk_text=True,
        lang=options.lang,
    )
    plotter: Any = player.plotter
    state = {"t": float(start), "playing": False}

    def go_to(t: float) -> None:
        state["t"] = float(t)
        player.show_moment(state["t"])

    plotter.subplot(0, 0)
    slider = plotter.add_slider_widget(
        lambda value: go_to(value),
        [float(start), float(end)],
        value=float(start),
        title="",
        pointa=(0.36, 0.05),
        pointb=(0.6, 0.05),
        interaction_event="always",
        fmt=" ",
        style="modern",
    )

    def toggle() -> None:
        state["playing"] = not state["playing"]
        button.GetRepresentation().SetState(int(bool(state["playing"])))

    button = plotter.add_checkbox_button_widget(
        lambda on: state.update(playing=bool(on)),
        value=False,
        position=(10, 10),
        size=32,
        color_on="#37b24d",
        color_off="#868e96",
    )
    plotter.add_text(
        f"play / pause (space)    {format_moment(start)}",
        position=(50, 16),
        font_size=10,
        color=palette.TEXT,
    )
    plotter.add_text(
        format_moment(end), position=(int(size[0] * 0.62), 16), font_size=10, color=palette.TEXT
    )
    plotter.add_key_event("space", toggle)

    def tick(*_: object) -> None:
        if not state["playing"]:
            return
        t = state["t"] + speed / fps
        if t > end:
            t = float(start)
        slider.GetRepresentation().SetValue(t)
        go_to(t)
        plotter.render()

    go_to(start)
    plotter.show(auto_close=False, interactive_update=True)
    interactor = plotter.iren.interactor
    interactor.AddObserver("TimerEvent", tick)
    interactor.CreateRepeatingTimer(max(10, int(1000 / fps)))
    plotter.iren.start()
    player.close()


def show_run(source: RunSource, options: RenderOptions) -> None:
    """Check for a display, simulate (or load) the run(s), then open the window: the CLI's call."""
    if not headless.has_display():
        raise UsageError(NO_DISPLAY)
    given = [
        parse_day_time(m, o)
        for m, o in ((options.start, "--from"), (options.end, "--to"))
        if m is not None
    ]
    show(traces_for(source, max(given, default=0.0)), options)
