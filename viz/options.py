"""What to show and how to draw it: two plain values passed through :mod:`viz` unchanged.

- :class:`RenderOptions`: the moment or span, picture size, frame rate, playback speed, camera,
  captions, labels and parallel parts, for :func:`viz.render` and :func:`viz.show`.
- :class:`RunSource`: the run(s) to show when the command line asks (a park and scenario to
  simulate, or a saved trace, and a scenario beside it), for :func:`viz.sources.traces_for`.

Pure values: importing this module loads neither PyVista nor the engine.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twin.io.inputs import ParkSource
    from twin.language import Language


@dataclass(frozen=True)
class RenderOptions:
    """How to draw traces.

    Attributes:
        at: The moment of a ``.png`` or ``.html``: minutes from the start of the horizon or
            ``"day D HH:MM"`` (day 0 is the first day). Default: day 0 10:00.
        start: First moment of a video or of the window's slider (default: day 0 00:00).
        end: Last moment (default: a day after `start` for a video, the end in the window).
        size: ``(width, height)`` or ``"WxH"`` in pixels; videos round down to multiples of 16.
        fps: Video frames per second (window updates per second while playing).
        speed: Simulated minutes per second of video (or of playing in the window).
        camera: ``overview``, ``oblique`` or ``top``.
        captions: A caption per view (default: park and scenario names).
        jobs: Processes drawing a long mp4, each a part of the span (default: half the cores
            for 160 frames or more on 4 cores or more, else 1).
        labels: Draw building, gate and utility names.
        lang: The language of the clock, panels, legend and scene (``vi`` or ``en``; None:
            the park's ``park.language``, else en).
    """

    at: str | float | None = None
    start: str | float | None = None
    end: str | float | None = None
    size: str | tuple[int, int] = (1280, 720)
    fps: float = 25.0
    speed: float = 60.0
    camera: str = "overview"
    captions: Sequence[str] | None = None
    jobs: int | None = None
    labels: bool = True
    lang: Language | None = None


@dataclass(frozen=True)
class RunSource:
    """The run to show, and optionally a scenario beside it (A/B).

    Attributes:
        park: Park file, bundled name, dict or Park (None: the scenario's base, else the
            default park).
        scenario: Scenario of the (left) run.
        trace: A saved run (folder with trace.npz, or the file) to play instead of simulating.
        compare: A scenario to show beside the run with the same seed, replication, grid step,
            horizon and warm-up.
        days: Horizon in days, or None for just long enough for the moments shown.
        warmup_days: Warm-up days, or ``"auto"`` for the warm-up ``run --warmup auto`` picks.
        seed: Base seed.
    """

    park: ParkSource | os.PathLike[str] | None = None
    scenario: str | os.PathLike[str] | None = None
    trace: str | os.PathLike[str] | None = None
    compare: str | os.PathLike[str] | None = None
    days: float | None = None
    warmup_days: float | str = 1.0
    seed: int = 0
