"""Files from a :class:`~viz.playback.Player`: png, mp4 and gif (through ffmpeg), html.

Every file is written to a temporary name in the target's folder and renamed over the target
only when complete, so a failed or interrupted render never leaves a half-written file and never
replaces a good one. Videos are encoded by the ffmpeg that imageio-ffmpeg bundles, fed raw RGB
frames through a pipe (it encodes on the other core while VTK draws the next frame).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from twin.errors import UsageError

FORMATS = (".png", ".mp4", ".gif", ".html")
Progress = Callable[[int, int], None]


def parse_size(text: str | Sequence[int]) -> tuple[int, int]:
    """``"1280x720"`` as ``(1280, 720)``; sizes from 64 to 7680 pixels.

    Raises:
        UsageError: Not ``WxH`` or out of range.
    """
    if not isinstance(text, str):
        width, height = (int(v) for v in text)
    else:
        match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
        if not match:
            raise UsageError(f"--size '{text}' must be WIDTHxHEIGHT in pixels, e.g. 1280x720")
        width, height = int(match.group(1)), int(match.group(2))
    if not (64 <= width <= 7680 and 64 <= height <= 7680):
        raise UsageError(f"--size {width}x{height}: width and height must be 64 to 7680 pixels")
    return width, height


def video_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size rounded down to multiples of 16, as video encoders want."""
    return max(16, size[0] // 16 * 16), max(16, size[1] // 16 * 16)


def output_kind(out: str | os.PathLike[str]) -> str:
    """The format of an output file from its suffix.

    Raises:
        UsageError: Not one of :data:`FORMATS`.
    """
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(
            f"--out {out}: unknown picture format '{suffix or '(none)'}'; "
            f"use one of {', '.join(FORMATS)}"
        )
    return suffix


@contextlib.contextmanager
def atomic_output(out: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside `out` that replaces it when the block succeeds.

    The temporary file keeps `out`'s suffix (ffmpeg picks the container from it) and is
    removed when the block raises, KeyboardInterrupt included.
    """
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".partial{target.suffix}", dir=target.parent
    )
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        with contextlib.suppress(OSError):
            os.chmod(temp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def png_bytes(image: np.ndarray) -> bytes:
    """PNG encoding of an RGB array."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image, "RGB").save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def ffmpeg_exe() -> str:
    """The ffmpeg executable bundled with imageio-ffmpeg."""
    try:
        import imageio_ffmpeg
    except ImportError:  # pragma: no cover - part of the viz extra
        raise UsageError(
            "writing video needs imageio-ffmpeg: pip install 'parktwin[viz]'"
        ) from None
    return str(imageio_ffmpeg.get_ffmpeg_exe())


class VideoWriter:
    """Raw RGB frames in, an mp4 (H.264) or gif out, through one ffmpeg process.

    Args:
        path: The file to write (its suffix picks mp4 or gif).
        size: Frame size (width, height); multiples of 16 for mp4.
        fps: Frames per second.
        raw: Frames come as the framebuffer holds them (RGBA, rows bottom-up, see
            :meth:`viz.playback.Player.grab_raw`) instead of RGB top row first.
    """

    def __init__(self, path: Path, size: tuple[int, int], fps: float, raw: bool = False) -> None:
        self.path = Path(path)
        self.size = size
        self.frames = 0
        self.raw = raw
        width, height = size
        command = [
            ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgba" if raw else "rgb24",
            "-s",
            f"{width}x{height}",
            "-r",
            f"{fps:g}",
            "-i",
            "-",
            "-an",
        ]
        # The framebuffer's alpha is 0 on the background: drop it, or gif makes it transparent.
        flip = "vflip,format=rgb24," if raw else ""
        if self.path.suffix.lower() == ".gif":
            command += [
                "-vf",
                f"{flip}split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=3",
                "-loop",
                "0",
                "-f",
                "gif",
            ]
        else:
            if raw:
                command += ["-vf", "vflip"]
            command += [
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "21",
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
            ]
        command.append(str(self.path))
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
        )

    def write(self, frame: np.ndarray) -> None:
        """Append one uint8 frame: (height, width, 3) RGB, or RGBA bottom-up when `raw`."""
        channels = 4 if self.raw else 3
        if frame.shape != (self.size[1], self.size[0], channels):
            wanted = (self.size[1], self.size[0], channels)
            raise ValueError(f"frame has shape {frame.shape}, video wants {wanted}")
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).data)
        except BrokenPipeError:
            self._fail()
        self.frames += 1

    def close(self) -> None:
        """Finish the file; raises RuntimeError with ffmpeg's message when it failed."""
        assert self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.close()
        code = self._process.wait()
        if code != 0:
            self._fail()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self._process.stdin, self._process.stderr):
            if pipe is not None:
                with contextlib.suppress(Exception):
                    pipe.close()

    def abort(self) -> None:
        """Stop ffmpeg without finishing the file."""
        with contextlib.suppress(Exception):
            self._process.kill()
        with contextlib.suppress(Exception):
            self._process.wait(timeout=10)
        self._close_pipes()

    def _fail(self) -> None:
        with contextlib.suppress(Exception):
            self._process.kill()
        message = b""
        if self._process.stderr is not None:
            with contextlib.suppress(Exception):
                message = self._process.stderr.read()
        self.abort()
        text = message.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"ffmpeg failed: {text[-1] if text else 'no message'}")

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def concat_videos(parts: Sequence[Path], out: Path) -> None:
    """Join mp4 files of the same encoding into one, without re-encoding."""
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{p.resolve()}'\n" for p in parts), encoding="utf-8")
    try:
        done = subprocess.run(
            [
                ffmpeg_exe(),
                "-y",
                "-loglevel",
                "error",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                "-c",
                "copy",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                str(out),
            ],
            capture_output=True,
            check=False,
        )
    finally:
        with contextlib.suppress(OSError):
            listing.unlink()
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"ffmpeg could not join the video parts: {lines[-1] if lines else ''}")


def count_frames(path: str | os.PathLike[str]) -> int:
    """Frames in a video file, decoded by ffmpeg (for tests and checks)."""
    import imageio_ffmpeg

    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    return int(frames)
