"""Render a short clip of a run: the morning rush at the demo park during a power cut.

Simulates one replication of the demo park with feeder fd2 (factory F2, the office and the
wastewater plant) out from 08:00 to 09:00 on the first day, then renders 07:30 to 09:30 as an
animated GIF, offscreen (no display or GPU needed), and a picture of 08:30. The clip shows F2's
roof go dark and its trucks queue at the docks until the power is back.

Run it:  python examples/render_clip.py   (writes out/render_clip.gif and out/render_clip.png)
(PARKTWIN_EXAMPLE_OUT picks the folder; PARKTWIN_EXAMPLE_FRAMES_PER_MIN, default 0.2, the
number of frames per simulated minute; the tests use them.)
"""

from __future__ import annotations

import os
from pathlib import Path

import twin
import viz

OUT = Path(os.environ.get("PARKTWIN_EXAMPLE_OUT", "out"))
FRAMES_PER_MIN = float(os.environ.get("PARKTWIN_EXAMPLE_FRAMES_PER_MIN", "0.2"))
POWER_CUT = {
    "scenario": {"name": "fd2 cut", "description": "feeder fd2 out 08:00-09:00 on day 0"},
    "events": [{"outage": "fd2", "from": {"day": 0, "at": "08:00"}, "duration_h": 1}],
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    trace = twin.simulate("demo-small", POWER_CUT, days=1)
    fps, speed = 10.0, 10.0 / FRAMES_PER_MIN  # simulated minutes per second of video
    clip = viz.render(
        trace,
        OUT / "render_clip.gif",
        start="day 0 07:30",
        end="day 0 09:30",
        size=(640, 360),
        fps=fps,
        speed=speed,
    )
    picture = viz.render(trace, OUT / "render_clip.png", at="day 0 08:30", size=(960, 540))
    kpis = twin.compute_kpis(trace)
    frames = round(120 * fps / speed)
    print(f"wrote {picture} ({picture.stat().st_size:,} bytes)")
    print(
        f"result: wrote {clip}, {frames} frames, {clip.stat().st_size:,} bytes; the cut left "
        f"{kpis['power.unserved_mwh']:.2f} MWh unserved and F2's trucks waited "
        f"{kpis['docks.f2-docks.wait_mean_min']:.1f} min on average for a dock"
    )


if __name__ == "__main__":
    main()
