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
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from twin.errors import UsageError
from twin.io.output import atomic_write_bytes
from twin.sim.trace import Trace
from viz import headless
from viz.clock import check_within, format_moment, parse_day_time
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
from viz.options import RenderOptions, RunSource
from viz.page import write_page
from viz.playback import Player
from viz.sources import traces_for

DEFAULT_AT = 600.0  # day 0 10:00
PARALLEL_MIN_FRAMES = 160
MAX_FRAMES = 200_000


def render(
    source: Trace | Sequence[Trace],
    out: str | os.PathLike[str],
    options: RenderOptions,
    progress: Progress | None = None,
) -> Path:
    """Write a picture, video or page of traces; see :func:`viz.render` for the arguments."""
    traces = [source] if isinstance(source, Trace) else list(source)
    if not 1 <= len(traces) <= 2:
        raise UsageError(f"render shows one trace or two side by side, got {len(traces)}")
    out = Path(out)
    kind = output_kind(out)
    size = parse_size(options.size)
    if options.camera not in ("overview", "oblique", "top"):
        raise UsageError(f"--camera '{options.camera}': choose overview, oblique or top")
    span = (max(-t.warmup_min for t in traces), min(t.horizon_min for t in traces))
    if kind in (".png", ".html"):
        return _moment(traces, out, kind, span, size, options)
    return _span(traces, out, kind, span, size, options, progress)


def _moment(
    traces: Sequence[Trace],
    out: Path,
    kind: str,
    span: tuple[float, float],
    size: tuple[int, int],
    options: RenderOptions,
) -> Path:
    """A ``.png`` or ``.html`` of the moment ``options.at``."""
    if options.start is not None or options.end is not None:
        raise UsageError(
            f"--from/--to play a span into .mp4 or .gif; a {kind} shows one moment (--at)"
        )
    lo, hi = span
    moment = parse_day_time(options.at, "--at") if options.at is not None else min(DEFAULT_AT, hi)
    check_within(moment, lo, hi, "--at")
    headless.require_offscreen()
    if kind == ".png":
        return _png(traces, out, moment, size, options)
    return _html(traces, out, moment, size, options)


def _span(
    traces: Sequence[Trace],
    out: Path,
    kind: str,
    span: tuple[float, float],
    size: tuple[int, int],
    options: RenderOptions,
    progress: Progress | None,
) -> Path:
    """A ``.mp4`` or ``.gif`` of ``options.start .. options.end``."""
    if options.at is not None:
        raise UsageError(f"--at shows one moment in a .png or .html; a {kind} plays --from/--to")
    lo, hi = span
    start, end = options.start, options.end
    t0 = parse_day_time(start, "--from") if start is not None else max(0.0, lo)
    t1 = parse_day_time(end, "--to") if end is not None else min(t0 + 1440.0, hi)
    check_within(t0, lo, hi, "--from")
    check_within(t1, lo, hi, "--to")
    check_frames(t0, t1, options.fps, options.speed)
    times = frame_times(t0, t1, options.fps, options.speed)
    headless.require_offscreen()
    frame_size = video_size(size)
    jobs = _video_jobs(kind, len(times), options.jobs)
    if jobs > 1:
        return _video_parallel(traces, out, times, frame_size, options, jobs, progress)
    with atomic_output(out) as temp:
        _video(traces, temp, times, frame_size, options, progress)
    return out


def _video_jobs(kind: str, frames: int, jobs: int | None) -> int:
    """How many processes draw the video (only an mp4 is drawn in parts)."""
    if kind != ".mp4":
        return 1
    cores = _cores()
    if jobs is None:
        # Mesa's llvmpipe already draws with every core, and ffmpeg encodes on them too: on 2
        # cores two processes measured no faster than one, so parts pay off from 4 cores up.
        jobs = cores // 2 if frames >= PARALLEL_MIN_FRAMES and cores >= 4 else 1
    return max(1, min(int(jobs), frames // 20 or 1, cores))


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
    times: Sequence[float] | np.ndarray,
    size: tuple[int, int],
    options: RenderOptions,
    multi_samples: int,
    labels: bool,
) -> Any:
    return Player(
        traces,
        float(times[0]),
        float(times[-1]),
        times=times,
        size=size,
        camera=options.camera,
        captions=options.captions,
        multi_samples=multi_samples,
        labels=labels,
        lang=options.lang,
    )


def _png(
    traces: Sequence[Trace], out: Path, moment: float, size: tuple[int, int], options: RenderOptions
) -> Path:
    with _player(traces, [moment], size, options, 8, options.labels) as player:
        image = player.frame_at(moment)
    return atomic_write_bytes(out, png_bytes(image))


def _video(
    traces: Sequence[Trace],
    path: Path,
    times: np.ndarray,
    size: tuple[int, int],
    options: RenderOptions,
    progress: Progress | None,
    counter: Any = None,
) -> None:
    """Render `times` into a video file at `path` (not atomic: the caller renames)."""
    with (
        _player(traces, times, size, options, 0, options.labels) as player,
        VideoWriter(path, size, options.fps, raw=True) as writer,
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
    options: RenderOptions,
) -> str:
    """A worker's share of a parallel render: one part of the video."""
    os.environ.setdefault("LP_NUM_THREADS", str(max(1, _cores() // max(_JOBS, 1))))
    _video(traces, Path(path), times, size, options, None, _COUNTER)
    return path


def _video_parallel(
    traces: Sequence[Trace],
    out: Path,
    times: np.ndarray,
    size: tuple[int, int],
    options: RenderOptions,
    jobs: int,
    progress: Progress | None,
) -> Path:
    """Draw consecutive parts of the span in `jobs` processes, then join them."""
    context = multiprocessing.get_context("spawn")
    counter = context.Value("i", 0)
    chunks = np.array_split(times, jobs)
    parts = [out.with_name(f".{out.stem}.part{i}.{os.getpid()}.mp4") for i in range(jobs)]
    try:
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(counter, jobs)
        ) as pool:
            futures = [
                pool.submit(_video_part, traces, str(p), c, size, options)
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
    traces: Sequence[Trace], out: Path, moment: float, size: tuple[int, int], options: RenderOptions
) -> Path:
    with _player(traces, [moment], size, options, 0, False) as player:
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
        return parse_day_time(at, "--at") if at is not None else DEFAULT_AT
    if end is not None:
        return parse_day_time(end, "--to")
    first = parse_day_time(start, "--from") if start is not None else 0.0
    return first + 1440.0


def render_run(
    out: str | os.PathLike[str],
    source: RunSource,
    options: RenderOptions,
    progress: Progress | None = None,
) -> Path:
    """Simulate (or load) the run(s) to show, then :func:`render` them: the CLI's one call.

    The options are checked, and a video's frames counted, before anything is simulated.

    Args:
        out: The file to write (``.png``, ``.mp4``, ``.gif`` or ``.html``).
        source: The run(s) to show (:class:`~viz.options.RunSource`).
        options: How to draw them.
        progress: Called with (frames done, frames in all) while a video is written.
    """
    kind = output_kind(out)
    parse_size(options.size)
    until = last_moment(out, options.at, options.start, options.end)
    if kind in (".mp4", ".gif") and options.at is None:
        first = parse_day_time(options.start, "--from") if options.start is not None else 0.0
        check_frames(first, until, float(options.fps), float(options.speed))
    return render(traces_for(source, until), out, options, progress)
