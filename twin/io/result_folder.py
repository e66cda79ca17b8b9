"""A result folder (``--out DIR``) written as one unit: all of one run, or none of it.

:class:`ResultFolder` checks the destination before any work starts (a folder, not a file; not
under a file; not in /proc or /sys; writable; enough free space for the expected size), locks it
against a second writer, and hands out a staging folder beside it (``.DIR.staging-ID``). The
writers fill the staging folder; :meth:`ResultFolder.publish` stamps every file with the run id,
writes ``manifest.json`` (each file's size and SHA-256) and swaps the staging folder in with one
rename. Whatever happens before that (a crash, SIGKILL, a full disk), ``DIR`` holds the previous
result untouched.

A partial result (interrupted, or replications that failed) replaces only a partial or missing
result: next to a complete one it goes beside it, as ``DIR.partial``. Files that parktwin did not
write are never deleted: a folder holding any refuses to be a destination.

Run ids: ``manifest.json`` and every JSON document carry ``run_id``; a trace carries it as its
``run_id`` member (read into ``Trace.meta``); YAML, Markdown and HTML files carry it in a
comment. CSV files have no place for it: their digest in the manifest ties them to the run.
:func:`check_same_run` is the reader's side: a file from another run is found, not played.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime
import errno
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import socket
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from twin.errors import InputError
from twin.io.output import sync_deferred

MANIFEST = "manifest.json"
PARTIAL_SUFFIX = ".partial"
SYSTEM_ROOTS = ("/proc", "/sys", "/dev")
PSEUDO_FILESYSTEMS = frozenset(
    {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs", "tracefs",
     "securityfs", "pstore", "bpf", "configfs", "fusectl", "mqueue", "hugetlbfs", "efivarfs"}
)  # fmt: skip
LEGACY_RESULT_FILES = frozenset(
    {"kpis.json", "kpis.csv", "trace.npz", "park.yaml", "scenario.json", "scenarios.json",
     "report.md", "report.html", "comparison.json", "comparison.csv", "sweep.json", "sweep.csv",
     "calibration.json"}
)  # fmt: skip
"""Files of a result folder written before manifests existed: such a folder may be replaced."""
SPACE_MARGIN_BYTES = 1024 * 1024


def new_run_id() -> str:
    """A run id: UTC time to the second and a random suffix, e.g. ``20260105T101500-3fa9c1``."""
    now = datetime.datetime.now(datetime.UTC)
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


# --------------------------------------------------------------------------- destination checks


def _mount_type(path: Path) -> str | None:
    """The filesystem type of the mount holding `path` (Linux), or None when unknown."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    best, kind = "", None
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, after = left.split(), right.split()
        if len(fields) < 5 or not after:
            continue
        point = fields[4].replace("\\040", " ")
        inside = str(path) == point or str(path).startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, after[0]
    return kind


def _existing_ancestor(target: Path) -> Path:
    """The nearest ancestor of `target` (or itself) that exists; an error if it is a file."""
    current = target
    while not current.exists():
        if current.is_symlink():
            raise InputError(str(target), f"{current} is a broken link; `out` needs a folder")
        current = current.parent
    if current != target and not current.is_dir():
        raise InputError(str(target), f"is under {current}, which is a file; `out` needs a folder")
    return current


def check_destination(target: Path, expected_bytes: int = 0) -> None:
    """Refuse a destination that cannot hold a result folder, before any work is done.

    Args:
        target: the folder to write.
        expected_bytes: the estimated size of the result; the disk must have that much free.

    Raises:
        InputError: a file, something under a file, a system folder, a read-only or full disk.
    """
    name = str(target)
    real = Path(os.path.realpath(target))
    for root in SYSTEM_ROOTS:
        if str(real) == root or str(real).startswith(root + "/"):
            raise InputError(name, f"is in {root}, a system folder; give a folder on a disk")
    if target.exists() and not target.is_dir():
        raise InputError(name, "is a file; `out` needs a folder (new, empty or an earlier result)")
    ancestor = _existing_ancestor(target)
    kind = _mount_type(Path(os.path.realpath(ancestor)))
    if kind in PSEUDO_FILESYSTEMS:
        raise InputError(name, f"is on a {kind} file system, not a disk; give a folder on a disk")
    try:
        stat = os.statvfs(ancestor)
    except OSError:
        return
    if stat.f_flag & os.ST_RDONLY:
        raise InputError(name, f"is on a read-only file system ({ancestor}); give another folder")
    free = stat.f_bavail * stat.f_frsize
    needed = expected_bytes + SPACE_MARGIN_BYTES
    if free < needed:
        raise InputError(
            name,
            f"needs about {_mb(needed)} of free space (estimated) but the disk has {_mb(free)} "
            "free; free some space or give a folder on another disk",
        )


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size < 10 * 1_048_576 else f"{size // 1_048_576} MB"


def _manifest(folder: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def foreign_files(folder: Path) -> list[str]:
    """Names in `folder` that no parktwin result wrote (an empty list for a missing folder)."""
    if not folder.is_dir():
        return []
    manifest = _manifest(folder)
    ours = set(manifest.get("files", {})) | {MANIFEST} if manifest else LEGACY_RESULT_FILES
    subfolders = {name.split("/")[0] for name in ours if "/" in name}
    found = []
    for path in folder.iterdir():
        if path.name in subfolders and path.is_dir():
            found += [p.relative_to(folder).as_posix() for p in path.rglob("*") if p.is_file()]
        else:
            found.append(path.name)
    return sorted(
        name
        for name in found
        if name not in ours and not (name.split("/")[-1].startswith(".") and name.endswith(".tmp"))
    )


def is_complete(folder: Path) -> bool:
    """True when `folder` holds a complete result (by its manifest, or an older kpis document)."""
    manifest = _manifest(folder)
    if manifest is not None:
        return bool(manifest.get("complete"))
    for name in ("kpis.json", "comparison.json", "sweep.json"):
        with contextlib.suppress(OSError, ValueError):
            doc = json.loads((folder / name).read_text(encoding="utf-8"))
            return isinstance(doc, dict) and doc.get("complete", True) is not False
    return False


# --------------------------------------------------------------------------- the lock


class _Lock:
    """An exclusive lock on ``.DIR.lock`` beside the folder, naming its holder.

    ``flock`` is released by the kernel when the holder dies (SIGKILL included), so a lock is
    never stale; the file is removed when released.
    """

    def __init__(self, target: Path, command: str) -> None:
        self.path = target.parent / f".{target.name}.lock"
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self._holder(fd)
                os.close(fd)
                raise InputError(
                    str(target),
                    f"is being written by another parktwin process ({holder}); wait for it to "
                    "finish or give another `out`",
                ) from None
            # The file may have been removed by its last holder between open and flock.
            if os.path.exists(self.path) and os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                break
            os.close(fd)
        self.fd = fd
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
                "since": datetime.datetime.now().isoformat(timespec="seconds")}  # fmt: skip
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            return f"pid {info['pid']} on {info['host']}: {info['command']}, since {info['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "unknown process"

    def release(self) -> None:
        """Remove the lock file and release the lock."""
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self.fd)


# --------------------------------------------------------------------------- swapping


def _renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.renameat2
    return None


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    call = _renameat2()
    if call is None:
        return False
    result = call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _replace_folder(staging: Path, target: Path, run_id: str) -> None:
    """Put `staging` in the place of `target` (which may exist); remove the old folder."""
    if not target.exists():
        os.rename(staging, target)
    elif exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)
    else:
        old = target.parent / f".{target.name}.old-{run_id}"
        os.rename(target, old)
        os.rename(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _leftovers(target: Path) -> Iterator[Path]:
    for prefix in (f".{target.name}.staging-", f".{target.name}.old-"):
        yield from target.parent.glob(prefix + "*")


def clean_leftovers(target: Path) -> None:
    """Remove what a killed writer left: staging folders, old copies, temporary files.

    An old copy is put back first when the kill came between the two renames of a swap.
    """
    for path in sorted(_leftovers(target)):
        if ".old-" in path.name and not target.exists() and is_complete(path):
            os.rename(path, target)
            continue
        shutil.rmtree(path, ignore_errors=True)
    if target.is_dir():
        for temp in target.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                temp.unlink()


# --------------------------------------------------------------------------- stamping


def _stamp(path: Path, run_id: str) -> None:
    """Write the run id into one file, in the way its format allows."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text)
        if isinstance(doc, dict):
            doc["run_id"] = run_id
            ending = "\n" if text.endswith("\n") else ""
            path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + ending, "utf-8")
    elif suffix == ".npz":
        with zipfile.ZipFile(path, "a") as archive, archive.open("run_id.npy", "w") as member:
            np.save(member, np.array(run_id))
    elif suffix in (".yaml", ".yml"):
        path.write_text(f"# parktwin run {run_id}\n" + path.read_text(encoding="utf-8"), "utf-8")
    elif suffix == ".md":
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"\n<!-- parktwin run {run_id} -->\n")
    elif suffix in (".html", ".htm"):
        text = path.read_text(encoding="utf-8")
        mark = f'<meta name="parktwin-run" content="{run_id}">'
        head = text.find("<head>")
        text = text[: head + 6] + mark + text[head + 6 :] if head >= 0 else text + mark
        path.write_text(text, "utf-8")


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def file_run_id(path: Path) -> str | None:
    """The run id stamped in a JSON document or a trace, None when it has none."""
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                return str(data["run_id"]) if "run_id" in data.files else None
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return None
    value = doc.get("run_id") if isinstance(doc, dict) else None
    return str(value) if value is not None else None


def check_same_run(folder: Path, name: str) -> None:
    """Refuse a file of a result folder that another run wrote than its other files.

    The file's digest must match the folder's manifest, and its run id (when it carries one)
    the run id of the folder's documents.

    Raises:
        InputError: the folder mixes runs (the file and the document that disagree are named).
    """
    path = folder / name
    mine = file_run_id(path)
    for other in ("kpis.json", "comparison.json", "sweep.json"):
        theirs = file_run_id(folder / other) if (folder / other).exists() else None
        if mine and theirs and mine != theirs:
            raise InputError(
                str(path),
                f"comes from another run ({mine}) than {folder / other} ({theirs}) in the same "
                f"folder; rerun to get a whole result folder, or pass the file itself ({path}) "
                "to play it alone",
            )
    manifest = _manifest(folder)
    if manifest is not None:
        listed = manifest.get("files", {}).get(name)
        if listed is not None and _digest(path) != listed.get("sha256"):
            raise InputError(
                str(path),
                f"differs from the {name} that run {manifest.get('run_id')} wrote there (see "
                f"{MANIFEST}): another run's file, or changed since; rerun to get a whole result "
                f"folder, or pass the file itself ({path}) to play it alone",
            )


# --------------------------------------------------------------------------- the folder


class ResultFolder:
    """A result folder being written: checked, locked, filled in staging, then published.

    Use as a context manager: leaving the block without :meth:`publish` (an error, Ctrl-C)
    removes the staging folder and releases the lock, leaving `target` as it was::

        with ResultFolder(out, "parktwin run", expected_bytes=estimate) as folder:
            ...  # simulate
            write_run(folder.staging, ...)
            folder.publish(complete=True)

    Attributes:
        target: the folder the user asked for.
        run_id: the id stamped in every file of this result.
        staging: where the writers put the files until :meth:`publish`.
    """

    def __init__(self, target: str | os.PathLike[str], command: str, expected_bytes: int = 0):
        self.target = Path(os.path.abspath(target))
        self.command = command
        self.run_id = new_run_id()
        check_destination(self.target, expected_bytes)
        self._refuse_foreign(self.target)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._lock: _Lock | None = _Lock(self.target, command)
        except OSError as exc:
            raise InputError(str(self.target), f"cannot be written ({exc.strerror})") from None
        try:
            clean_leftovers(self.target)
            self.staging = self.target.parent / f".{self.target.name}.staging-{self.run_id}"
            self.staging.mkdir()
        except OSError as exc:
            self._release()
            raise InputError(str(self.target), f"cannot be written ({exc.strerror})") from None

    @staticmethod
    def _refuse_foreign(folder: Path) -> None:
        foreign = foreign_files(folder)
        if foreign:
            more = f" and {len(foreign) - 3} more" if foreign[3:] else ""
            shown = ", ".join(foreign[:3]) + more
            raise InputError(
                str(folder),
                f"holds files parktwin did not write ({shown}); give a new or empty folder, or "
                "an earlier result folder (its files are replaced, never others)",
            )

    def destination(self, complete: bool) -> Path:
        """Where a result goes: the target, or ``DIR.partial`` beside a complete result."""
        if complete or not is_complete(self.target):
            return self.target
        partial = self.target.with_name(self.target.name + PARTIAL_SUFFIX)
        if foreign_files(partial) or (partial.exists() and not partial.is_dir()):
            return self.target.with_name(f"{self.target.name}{PARTIAL_SUFFIX}-{self.run_id}")
        return partial

    def publish(self, complete: bool = True) -> Path:
        """Stamp the files, write the manifest and swap the staging folder in; return where.

        Args:
            complete: False for an interrupted or failed run: it never replaces a complete
                result, and goes to ``DIR.partial`` beside one instead.

        Returns:
            The folder that now holds the result.
        """
        files: dict[str, dict[str, Any]] = {}
        written = sorted(p for p in self.staging.rglob("*") if p.is_file())
        for path in written:
            _stamp(path, self.run_id)
            name = path.relative_to(self.staging).as_posix()
            files[name] = {"bytes": path.stat().st_size, "sha256": _digest(path)}
        manifest = {
            "run_id": self.run_id,
            "command": self.command,
            "complete": complete,
            "created": datetime.datetime.now().isoformat(timespec="seconds"),
            "files": files,
        }
        (self.staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        for path in [*written, self.staging / MANIFEST]:
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        for folder in {path.parent for path in written} | {self.staging}:
            _fsync_dir(folder)
        where = self.destination(complete)
        _replace_folder(self.staging, where, self.run_id)
        self._release()
        return where

    def write(self, fill: Callable[[Path], object], complete: bool = True) -> Path:
        """Fill the staging folder with `fill` and publish it; return where it went.

        Raises:
            InputError: the disk refused a file (full, read-only); an earlier result is kept.
        """
        try:
            with sync_deferred():
                fill(self.staging)
            return self.publish(complete)
        except OSError as exc:
            raise InputError(
                str(self.target),
                f"could not be written ({exc.strerror or exc}); an earlier result there is kept",
            ) from None

    def abandon(self) -> None:
        """Drop the staging folder and release the lock; the target stays as it was."""
        if self._lock is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> ResultFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abandon()


R = TypeVar("R")


def write_result(
    out: Path | None,
    command: str,
    compute: Callable[[], R],
    write: Callable[[Path, R], object],
    expected_bytes: int = 0,
    salvage: Callable[[BaseException], R | None] | None = None,
    salvaged: str = "the finished replications were written to",
) -> R:
    """Compute a result and, with `out`, write it there as one unit: every command's way out.

    The destination is checked and locked before `compute` runs; a failure before the end
    leaves whatever `out` held untouched. When `compute` fails and `salvage` makes a partial
    result of its error (the finished replications of an interrupted run), that result is
    written as partial (beside a complete earlier result, as ``DIR.partial``) and the error,
    raised again, says where.

    Args:
        out: the result folder; None computes without writing.
        command: what made the result, for the manifest and the lock.
        compute: makes the result.
        write: writes a result into a folder (the staging folder).
        expected_bytes: the result's estimated size, checked against the free space first.
        salvage: the partial result an error of `compute` leaves, or None for none.
        salvaged: the note added to the error before the partial result's folder.

    Raises:
        InputError: a destination that cannot hold the result, or a disk that refuses it.
    """
    if out is None:
        return compute()
    with ResultFolder(out, command, expected_bytes) as folder:
        try:
            result = compute()
        except BaseException as exc:
            partial = salvage(exc) if salvage is not None else None
            if partial is not None:
                try:
                    where = folder.write(lambda d: write(d, partial), complete=False)
                    exc.add_note(f"{salvaged} {where}")
                except InputError as error:
                    exc.add_note(str(error))
            raise
        folder.write(lambda d: write(d, result))
    return result
