"""Offscreen outputs of one trace, or two side by side: a picture, a video or a page.

The output's suffix picks the kind: ``.png`` shows one moment, ``.mp4`` and ``.gif`` play a span,
``.html`` is a standalone page with the 3D scene of one moment. Moments are minutes from the
start of the horizon or ``"day D HH:MM"`` texts. Long mp4 videos can be drawn by several
processes, each a consecutive part of the span, joined without re-encoding (by default from 4
cores up: on 2 cores llvmpipe and ffmpeg already keep both busy).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from twin.errors import UsageError
from twin.output import atomic_write_bytes
from twin.trace import Trace
from viz import headless
from viz.clock import check_within, format_moment, parse_moment
from viz.export import (
    Progress,
    VideoWriter,
    atomic_output,
    concat_videos,
    output_kind,
    parse_size,
    png_bytes,
    video_size,
)
from viz.frames import frame_count, frame_times

DEFAULT_AT = 600.0  # day 0 10:00
PARALLEL_MIN_FRAMES = 160
MAX_FRAMES = 200_000


def render(
    source: Trace | Sequence[Trace],
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
    progress: Progress | None = None,
    jobs: int | None = None,
    labels: bool = True,
) -> Path:
    """Write a picture, video or page of traces; see :func:`viz.render` for the arguments."""
    traces = [source] if isinstance(source, Trace) else list(source)
    if not 1 <= len(traces) <= 2:
        raise UsageError(f"render shows one trace or two side by side, got {len(traces)}")
    out = Path(out)
    kind = output_kind(out)
    width, height = parse_size(size)
    if camera not in ("overview", "oblique", "top"):
        raise UsageError(f"--camera '{camera}': choose overview, oblique or top")
    lo = max(-t.warmup_min for t in traces)
    hi = min(t.horizon_min for t in traces)
    if kind in (".png", ".html"):
        if start is not None or end is not None:
            raise UsageError(
                f"--from/--to play a span into .mp4 or .gif; a {kind} shows one moment (--at)"
            )
        moment = parse_moment(at, "--at") if at is not None else min(DEFAULT_AT, hi)
        check_within(moment, lo, hi, "--at")
        headless.require_offscreen()
        if kind == ".png":
            return _png(traces, out, moment, (width, height), camera, captions, labels)
        return _html(traces, out, moment, (width, height), camera, captions)
    if at is not None:
        raise UsageError(f"--at shows one moment in a .png or .html; a {kind} plays --from/--to")
    t0 = parse_moment(start, "--from") if start is not None else max(0.0, lo)
    t1 = parse_moment(end, "--to") if end is not None else min(t0 + 1440.0, hi)
    check_within(t0, lo, hi, "--from")
    check_within(t1, lo, hi, "--to")
    check_frames(t0, t1, fps, speed)
    times = frame_times(t0, t1, fps, speed)
    headless.require_offscreen()
    frame_size = video_size((width, height))
    if jobs is None:
        # Mesa's llvmpipe already draws with every core, and ffmpeg encodes on them too: on 2
        # cores two processes measured no faster than one, so parts pay off from 4 cores up.
        cores = _cores()
        jobs = (
            cores // 2 if kind == ".mp4" and len(times) >= PARALLEL_MIN_FRAMES and cores >= 4 else 1
        )
    jobs = max(1, min(int(jobs), len(times) // 20 or 1, _cores())) if kind == ".mp4" else 1
    if jobs > 1:
        return _video_parallel(
            traces, out, times, frame_size, fps, camera, captions, labels, jobs, progress
        )
    with atomic_output(out) as temp:
        _video(traces, temp, times, frame_size, fps, camera, captions, labels, progress)
    return out


def check_frames(t0: float, t1: float, fps: float, speed: float) -> None:
    """Refuse a video span that is empty, or has more than :data:`MAX_FRAMES` frames.

    Counted, not built: the check costs nothing, so it runs before any simulation.
    """
    if not (0 < fps <= 120):
        raise UsageError(f"--fps must be between 0 and 120 frames per second, got {fps:g}")
    if not (speed > 0 and np.isfinite(speed)):
        raise UsageError(f"--speed must be positive (simulated minutes per second), got {speed:g}")
    if t1 <= t0:
        raise UsageError(f"--to {format_moment(t1)} must come after --from {format_moment(t0)}")
    count = frame_count(t0, t1, fps, speed)
    if count > MAX_FRAMES:
        raise UsageError(
            f"{count} frames is too many: raise --speed or lower --fps "
            f"(at most {MAX_FRAMES} frames)"
        )


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _player(
    traces: Sequence[Trace],
    start: float,
    end: float,
    times: Sequence[float] | np.ndarray,
    size: tuple[int, int],
    camera: str,
    captions: Sequence[str] | None,
    multi_samples: int,
    labels: bool = True,
) -> Any:
    from viz.playback import Player

    return Player(
        traces,
        start,
        end,
        times=times,
        size=size,
        camera=camera,
        captions=captions,
        multi_samples=multi_samples,
        labels=labels,
    )


def _png(
    traces: Sequence[Trace],
    out: Path,
    moment: float,
    size: tuple[int, int],
    camera: str,
    captions: Sequence[str] | None,
    labels: bool,
) -> Path:
    with _player(traces, moment, moment, [moment], size, camera, captions, 8, labels) as player:
        image = player.frame_at(moment)
    return atomic_write_bytes(out, png_bytes(image))


def _video(
    traces: Sequence[Trace],
    path: Path,
    times: np.ndarray,
    size: tuple[int, int],
    fps: float,
    camera: str,
    captions: Sequence[str] | None,
    labels: bool,
    progress: Progress | None,
    counter: Any = None,
) -> None:
    """Render `times` into a video file at `path` (not atomic: the caller renames)."""
    start, end = float(times[0]), float(times[-1])
    with (
        _player(traces, start, end, times, size, camera, captions, 0, labels) as player,
        VideoWriter(path, size, fps, raw=True) as writer,
    ):
        for k, t in enumerate(times):
            writer.write(player.raw_frame_at(float(t)))
            if progress is not None:
                progress(k + 1, len(times))
            if counter is not None:
                with counter.get_lock():
                    counter.value += 1


_COUNTER: Any = None
_JOBS = 1


def _init_worker(counter: Any, jobs: int) -> None:
    global _COUNTER, _JOBS
    _COUNTER, _JOBS = counter, jobs


def _video_part(
    traces: Sequence[Trace],
    path: str,
    times: np.ndarray,
    size: tuple[int, int],
    fps: float,
    camera: str,
    captions: Sequence[str] | None,
    labels: bool,
) -> str:
    """A worker's share of a parallel render: one part of the video."""
    os.environ.setdefault("LP_NUM_THREADS", str(max(1, _cores() // max(_JOBS, 1))))
    _video(traces, Path(path), times, size, fps, camera, captions, labels, None, _COUNTER)
    return path


def _video_parallel(
    traces: Sequence[Trace],
    out: Path,
    times: np.ndarray,
    size: tuple[int, int],
    fps: float,
    camera: str,
    captions: Sequence[str] | None,
    labels: bool,
    jobs: int,
    progress: Progress | None,
) -> Path:
    """Draw consecutive parts of the span in `jobs` processes, then join them."""
    import time

    context = multiprocessing.get_context("spawn")
    counter = context.Value("i", 0)
    chunks = np.array_split(times, jobs)
    parts = [out.with_name(f".{out.stem}.part{i}.{os.getpid()}.mp4") for i in range(jobs)]
    try:
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(counter, jobs)
        ) as pool:
            futures = [
                pool.submit(_video_part, traces, str(p), c, size, fps, camera, captions, labels)
                for p, c in zip(parts, chunks, strict=True)
            ]
            while not all(f.done() for f in futures):
                if progress is not None:
                    progress(min(int(counter.value), len(times)), len(times))
                time.sleep(0.2)
            for f in futures:
                f.result()
        if progress is not None:
            progress(len(times), len(times))
        with atomic_output(out) as temp:
            concat_videos(parts, temp)
    finally:
        for p in parts:
            with contextlib.suppress(OSError):
                p.unlink()
    return out


def _html(
    traces: Sequence[Trace],
    out: Path,
    moment: float,
    size: tuple[int, int],
    camera: str,
    captions: Sequence[str] | None,
) -> Path:
    from viz.page import write_page

    with _player(traces, moment, moment, [moment], size, camera, captions, 0, False) as player:
        player.show_moment(moment)
        player.render()
        with atomic_output(out) as temp:
            write_page(player, temp, moment)
    return out


def last_moment(
    out: str | os.PathLike[str] | None,
    at: str | float | None = None,
    start: str | float | None = None,
    end: str | float | None = None,
) -> float:
    """The latest moment an output will show, to simulate just long enough (checks the options).

    Raises:
        UsageError: Unknown format or bad moments.
    """
    kind = output_kind(out) if out is not None else ".mp4"
    if kind in (".png", ".html"):
        return parse_moment(at, "--at") if at is not None else DEFAULT_AT
    if end is not None:
        return parse_moment(end, "--to")
    first = parse_moment(start, "--from") if start is not None else 0.0
    return first + 1440.0


def render_run(
    out: str | os.PathLike[str],
    park: str | os.PathLike[str] | None = None,
    scenario: str | os.PathLike[str] | None = None,
    *,
    trace: str | os.PathLike[str] | None = None,
    compare: str | os.PathLike[str] | None = None,
    days: float | None = None,
    warmup_days: float | str = 1.0,
    seed: int = 0,
    **options: Any,
) -> Path:
    """Simulate (or load) the run(s) to show, then :func:`render` them: the CLI's one call.

    Args:
        out: The file to write (``.png``, ``.mp4``, ``.gif`` or ``.html``).
        park: Park file or bundled name.
        scenario: Scenario of the run.
        trace: A saved run to play instead of simulating.
        compare: A scenario to show beside the run (same seed, horizon and warm-up).
        days: Horizon in days (default: just long enough for the moments shown).
        warmup_days: Warm-up days before the horizon, or ``"auto"`` (MSER-5, as ``run``).
        seed: Base seed.
        **options: :func:`render`'s keyword arguments (at, start, end, size, fps, ...).
    """
    from viz.sources import traces_for

    kind = output_kind(out)
    parse_size(options.get("size", (1280, 720)))
    until = last_moment(out, options.get("at"), options.get("start"), options.get("end"))
    if kind in (".mp4", ".gif") and options.get("at") is None:
        first = options.get("start")
        check_frames(
            parse_moment(first, "--from") if first is not None else 0.0,
            until,
            float(options.get("fps", 25.0)),
            float(options.get("speed", 60.0)),
        )
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
    return render(traces, out, **options)
