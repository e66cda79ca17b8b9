"""The bundled data: parks, scenarios and sample sensor data shipped with parktwin.

Where they are (:func:`data_root`: inside the wheel, or the source checkout), their names,
how a name or path given by a user becomes a file (:func:`resolve`), and copying them out
(:func:`copy_bundled`, ``parktwin init``).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shutil
from pathlib import Path

from twin.errors import InputError, UsageError
from twin.io.result_folder import check_destination


def data_root() -> Path:
    """Folder holding `assets/` and `scenarios/`: inside the wheel, or the source checkout."""
    package = Path(__file__).resolve().parent.parent  # twin/
    packaged = package / "_bundled"
    if packaged.is_dir():
        return packaged
    return package.parent


def bundled_parks() -> dict[str, Path]:
    """Bundled park names and their files."""
    return {p.stem: p for p in sorted((data_root() / "assets" / "parks").glob("*.yaml"))}


def bundled_scenarios() -> dict[str, Path]:
    """Bundled scenario names and their files."""
    return {p.stem: p for p in sorted((data_root() / "scenarios").glob("*.yaml"))}


def bundled_problems() -> dict[str, Path]:
    """Bundled decision-problem names (``parktwin optimize``) and their files."""
    return {p.stem: p for p in sorted((data_root() / "scenarios" / "problems").glob("*.yaml"))}


DEFAULT_PARK = "yen-binh"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
"""A web address (``https://...``, ``s3://...``): parktwin reads no park from the network."""


def refuse_web_address(source: str | Path, kind: str) -> None:
    """Refuse a web address given where a file or bundled name of `kind` belongs.

    Raises:
        InputError: `source` is text such as ``https://host/park.yaml``.
    """
    if isinstance(source, str) and _URL.match(source):
        raise InputError(
            source,
            f"is a web address; a {kind} is read from a file or is a bundled name: "
            "download it and give the file's path",
        )


def resolve(source: str | Path, kind: str = "park") -> Path:
    """The file behind a path or bundled name; an :class:`InputError` when there is none.

    The rule, when a name could be both:

    - a path is explicit when it is a :class:`~pathlib.Path`, names a folder (``./demo-small``,
      ``parks/x``) or ends in ``.yaml``, ``.yml`` or ``.json``: it is that file, always;
    - a bare name of a bundled park or scenario is the bundled one, even when a folder of that
      name is in the working directory (a folder is never a park file: ``--out demo-small``
      leaves one); when a *file* of that name is there too, the name is refused as ambiguous
      and the message says how to pick (``./NAME`` for the file);
    - any other bare name is a file in the working directory;
    - a web address (``https://...``) is refused: nothing is read from the network.
    """
    text = str(source)
    refuse_web_address(source, kind)
    path = Path(source)
    if isinstance(source, Path) or _explicit(text):
        return path
    listing = {"park": bundled_parks, "scenario": bundled_scenarios, "problem": bundled_problems}
    bundled = listing[kind]()
    if text in bundled:
        if path.is_file():
            raise InputError(
                text,
                f"is both a file in this folder and the bundled {kind} '{text}'; write ./{text} "
                f"for the file, or rename it to use the bundled {kind}",
            )
        return bundled[text]
    if path.exists():
        return path
    close = difflib.get_close_matches(text, list(bundled), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise InputError(
        text,
        f"no such file and no bundled {kind} of that name{hint} "
        f"(bundled {kind}s: {', '.join(bundled) or 'none'})",
    )


def _explicit(text: str) -> bool:
    """True for text that can only be a path: it has a folder part or a file suffix."""
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    has_folder = any(sep in text for sep in separators) or text in (".", "..")
    return has_folder or text.lower().endswith((".yaml", ".yml", ".json"))


def copy_bundled(directory: str | os.PathLike[str]) -> list[Path]:
    """Copy the bundled parks, scenarios and sample sensor data into `directory` to edit.

    Parks go to ``DIR/parks/``, scenarios to ``DIR/scenarios/`` and sample sensor data (when the
    package has any) to ``DIR/sensors/``. The folder is created when missing; an existing folder
    must be empty, so that user data is never overwritten. A copy that fails (a full or
    read-only disk, Ctrl-C) removes what it copied: `directory` is left as it was.

    Args:
        directory: The folder to fill.

    Returns:
        The files written, in the order they were copied.

    Raises:
        UsageError: `directory` is a file, or a folder that is not empty.
        InputError: `directory` cannot be written (a system folder, a read-only or full disk).
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: is a file; give a new or empty folder to copy into")
    if target.is_dir() and any(target.iterdir()):
        raise UsageError(
            f"{target}: folder is not empty; give a new or empty folder "
            "(parktwin init never overwrites files)"
        )
    check_destination(target)
    plan = _copy_plan()
    made_target = not target.exists()
    try:
        target.mkdir(parents=True, exist_ok=True)
        for source, relative in plan:
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            tmp = destination.with_name(f".{destination.name}.tmp")
            shutil.copyfile(source, tmp)
            os.replace(tmp, destination)
    except BaseException as exc:
        _undo_copy(target, plan, made_target)
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            message = f"cannot copy the bundled files there: {reason}"
            raise InputError(str(target), message) from None
        raise
    return [target / relative for _, relative in plan]


def _undo_copy(target: Path, plan: list[tuple[Path, Path]], made_target: bool) -> None:
    """Remove what a failed copy made: `target` was new or empty, so all in it is the copy's."""
    for top in dict.fromkeys(relative.parts[0] for _, relative in plan):
        shutil.rmtree(target / top, ignore_errors=True)
    if made_target:
        with contextlib.suppress(OSError):
            target.rmdir()


def _copy_plan() -> list[tuple[Path, Path]]:
    """Each bundled file to copy and where it goes, relative to the folder `init` fills."""
    root = data_root()
    plan: list[tuple[Path, Path]] = []
    for pattern_root, pattern, into in (
        (root / "assets" / "parks", "*.yaml", "parks"),
        (root / "scenarios", "*.yaml", "scenarios"),
        (root / "assets" / "sensors", "**/*", "sensors"),
    ):
        if not pattern_root.is_dir():
            continue
        for source in sorted(pattern_root.glob(pattern)):
            if source.is_file() and not source.name.startswith("."):
                plan.append((source, Path(into) / source.relative_to(pattern_root)))
    return plan
