"""Reading YAML and JSON documents: plain data and a map from data path to line number.

Everything that can go wrong while reading (missing, unreadable, binary, too big, not UTF-8,
syntax errors) becomes an :class:`~twin.errors.InputError` naming the file and the line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from twin.errors import InputError

MAX_FILE_BYTES = 50 * 1024 * 1024


def read_document(path: Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse a YAML or JSON file into plain data and a map from data path to line number."""
    name = str(path)
    try:
        if path.is_dir():
            raise InputError(name, "is a folder, expected a YAML or JSON file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(name, f"is {size // 1_048_576} MB; park files are at most 50 MB")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(name, "file not found") from None
    except PermissionError:
        raise InputError(name, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise InputError(name, f"cannot be read ({exc.strerror or exc})") from None
    if b"\x00" in raw[:8192]:
        raise InputError(name, "is a binary file, expected YAML or JSON text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise InputError(name, "is empty, expected a park or scenario document")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(name, f"JSON syntax error: {exc.msg}", line=exc.lineno) from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            what = " ".join(x for x in (exc.context, exc.problem) if x)
            raise InputError(name, f"YAML syntax error: {what}", line=line) from None
        except yaml.YAMLError as exc:
            raise InputError(name, f"YAML error: {exc}") from None
    return data, _line_map(text)


def _line_map(text: str) -> dict[tuple[Any, ...], int]:
    """Data path -> 1-based line, from YAML's node tree (JSON is YAML enough for this)."""
    lines: dict[tuple[Any, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines

    inside: set[int] = set()  # nodes being walked: an alias may point back at its ancestor

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        lines[path] = node.start_mark.line + 1
        if id(node) in inside:
            return
        inside.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                lines[(*path, key.value)] = key.start_mark.line + 1
                walk(value, (*path, key.value))
                lines[(*path, key.value)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))
        inside.discard(id(node))

    if root is not None:
        walk(root, ())
    return lines
