"""The interactive window: the park at a moment, a time slider, play and pause.

Needs a display; :func:`show` says so clearly (a :class:`~twin.errors.UsageError`) instead of
letting VTK fail when there is none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twin.errors import UsageError
from twin.trace import Trace
from viz import headless, palette
from viz.clock import format_moment

NO_DISPLAY = (
    "parktwin show opens a window and needs a display, but neither DISPLAY nor "
    "WAYLAND_DISPLAY is set; on a machine without one, write a picture or video instead: "
    "parktwin render --out park.png (or day.mp4)"
)


def show(
    traces: Sequence[Trace],
    start: float,
    end: float,
    speed: float = 60.0,
    fps: float = 25.0,
    camera: str = "overview",
    size: tuple[int, int] = (1280, 720),
) -> None:
    """Open the window and block until it is closed; see :func:`viz.show`."""
    if not headless.has_display():
        raise UsageError(NO_DISPLAY)
    from viz.playback import Player

    player = Player(
        traces,
        start,
        end,
        size=size,
        off_screen=False,
        camera=camera,
        multi_samples=4,
        vtk_text=True,
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


def show_run(
    park: str | None = None,
    scenario: str | None = None,
    *,
    trace: str | None = None,
    compare: str | None = None,
    days: float | None = None,
    warmup_days: float | str = 1.0,
    seed: int = 0,
    start: str | float | None = None,
    end: str | float | None = None,
    **options: object,
) -> None:
    """Check for a display, simulate (or load) the run(s), then open the window: the CLI's call."""
    if not headless.has_display():
        raise UsageError(NO_DISPLAY)
    from viz import show as show_traces
    from viz.clock import parse_moment
    from viz.sources import traces_for

    given = [parse_moment(m, o) for m, o in ((start, "--from"), (end, "--to")) if m is not None]
    until = max(given, default=0.0)
    traces = traces_for(
        park=park,
        scenario=scenario,
        trace=trace,
        compare=compare,
        until_min=until,
        days=days,
        warmup_days=warmup_days,
        seed=seed,
    )
    show_traces(traces, start=start, end=end, **options)  # type: ignore[arg-type]
