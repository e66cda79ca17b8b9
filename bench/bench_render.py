"""Benchmark: a 1280x720 mp4 playback of one simulated day of the default park (yen-binh).

Prints the frames drawn per second (frames over the wall time of :func:`viz.render`, encoding
and joining included; simulation excluded) and the peak memory of this process and of its
children (the render workers and ffmpeg), from ``resource.getrusage``.

    .venv/bin/python bench/bench_render.py                # auto: 2 processes on 2+ cores
    .venv/bin/python bench/bench_render.py --jobs 1       # one process
    .venv/bin/python bench/bench_render.py --size 640x360 --fps 30 --speed 60

Target: 15 frames per second or more on a 2-core CPU machine without GPU (Mesa llvmpipe).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--park", default="yen-binh")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--speed", type=float, default=60.0, help="simulated minutes per second")
    parser.add_argument("--jobs", type=int, default=None, help="render processes (default auto)")
    parser.add_argument("--out", default=None, help="keep the video at this path")
    args = parser.parse_args(argv)

    import viz
    from viz.export import count_frames
    from viz.headless import require_offscreen
    from viz.sources import simulate

    require_offscreen()
    t0 = time.perf_counter()
    trace = simulate(args.park, None, days=1.0, warmup_days=1.0, seed=0)
    simulated = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as folder:
        out = Path(args.out) if args.out else Path(folder) / "day.mp4"
        t1 = time.perf_counter()
        viz.render(
            trace,
            out,
            start=0.0,
            end=1440.0,
            size=args.size,
            fps=args.fps,
            speed=args.speed,
            jobs=args.jobs,
        )
        wall = time.perf_counter() - t1
        frames = count_frames(out)
        megabytes = out.stat().st_size / 1e6
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"park {args.park}: {trace.n_trucks} truck visits, simulated in {simulated:.1f} s")
    print(
        f"video {args.size} @ {args.fps:g} fps, {args.speed:g} sim-min/s: {frames} frames, "
        f"{megabytes:.1f} MB, jobs {args.jobs or 'auto'}"
    )
    print(f"render wall time {wall:.1f} s -> {frames / wall:.1f} frames per second")
    print(f"peak memory: this process {own:.0f} MB, largest child {children:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
