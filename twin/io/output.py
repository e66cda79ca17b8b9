"""The one writer of output files, besides trace saving.

Every file is written atomically: the bytes go to a temporary file in the same folder, are
flushed to disk and then renamed over the target with :func:`os.replace`. A failed or interrupted
write (even by ``KeyboardInterrupt``) removes the temporary file and leaves any earlier file at
the target untouched, so a broken file never replaces a good one. In a folder that is published
as a whole (:func:`sync_deferred`), flushing is left to the one who publishes it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

_sync_deferred: ContextVar[bool] = ContextVar("sync_deferred", default=False)


@contextlib.contextmanager
def sync_deferred() -> Iterator[None]:
    """Atomic writes in the block leave flushing to disk to whoever publishes them.

    For a folder that is itself published as one unit (a result folder's staging folder,
    :mod:`twin.io.result_folder`), which flushes every file and folder in it once before it
    takes the place of the result: a write is still all or nothing, without being flushed
    twice.
    """
    token = _sync_deferred.set(True)
    try:
        yield
    finally:
        _sync_deferred.reset(token)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically, creating its folder when needed.

    Args:
        path: The file to write; an existing file there is replaced only once the new
            content is complete on disk.
        data: The bytes to write.

    Returns:
        The path written, as a :class:`~pathlib.Path`.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if not _sync_deferred.get():
                os.fsync(handle.fileno())
        # mkstemp creates 0600 files; keep the mode of the file replaced, else the usual one.
        with contextlib.suppress(OSError):
            mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    if not _sync_deferred.get():
        _fsync_dir(target.parent)
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write `text` to `path` atomically (see :func:`atomic_write_bytes`).

    Args:
        path: The file to write.
        text: The text to write; newlines are written as given.
        encoding: The text encoding, UTF-8 unless told.

    Returns:
        The path written, as a :class:`~pathlib.Path`.
    """
    return atomic_write_bytes(path, text.encode(encoding))


def _fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable where the platform allows it."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
