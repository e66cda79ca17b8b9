"""Reading YAML and JSON documents: plain data and a map from data path to line number.

Everything that can go wrong while reading (missing, unreadable, binary, too big, not UTF-8,
syntax errors, nesting too deep, aliases that expand too far) becomes an
:class:`~twin.errors.InputError` naming the file and the line.

Reading is bounded whatever the input: at most :data:`MAX_FILE_BYTES` are read (so ``/dev/zero``
or a pipe cannot run forever); each file is parsed once, by libyaml's C parser when PyYAML has it
(libyaml stops at 1000 levels of nesting itself, so composing is bounded too). One walk over the
composed nodes, each visited once (an alias is a shared node, never expanded), gives the line map,
the nesting depth (refused beyond :data:`MAX_DEPTH`) and the size the aliases would expand the
document to: a "billion laughs" of nested aliases is refused when they would repeat more than
:data:`MAX_ALIAS_VALUES` values, before anything walks the expanded data. Input quoted in
messages is cut to a short excerpt.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from twin.errors import InputError
from twin.model.schema import format_loc

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest park or scenario file read: 120 times the bundled yen-binh park (YAML reads at about
1 MB in 3-5 s)."""
MAX_DEPTH = 50
"""Deepest nesting of mappings and lists; parks and scenarios need about ten levels."""
MAX_ALIAS_VALUES = 1_000_000
"""Most values that YAML aliases may add to a document by repeating what they point at."""
LIBYAML_DEPTH = 1000
"""libyaml's own nesting limit: deeper documents are a syntax error to it."""
EXCERPT_CHARS = 80
JSON_LINE_MAP_CHARS = 512 * 1024
"""Up to this size a JSON file's errors get line numbers (found by composing it as YAML, which
costs more than reading JSON); bigger ones are located by field path only."""

Lines = dict[tuple[Any, ...], int]
OPENING = np.frombuffer(b"[{", dtype=np.uint8)
CLOSING = np.frombuffer(b"]}", dtype=np.uint8)


if hasattr(yaml, "CSafeLoader"):
    _Loader: type = yaml.CSafeLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


@dataclass
class _Shape:
    """What one walk over a composed YAML document finds (each node visited once).

    Attributes:
        lines: data path -> 1-based line (paths through aliases are not repeated).
        depth: how deep collections nest, aliases followed.
        values: how many values the document holds once aliases are expanded.
        nodes: how many values it holds as written.
        deep_line: the line of the first value found deeper than :data:`MAX_DEPTH`.
        cycle_line: the line of an alias that points at a collection holding it.
        cycle_path: the data path of that alias (None where it has none).
    """

    lines: Lines = field(default_factory=dict)
    depth: int = 0
    values: int = 0
    nodes: int = 0
    deep_line: int | None = None
    cycle_line: int | None = None
    cycle_path: tuple[Any, ...] | None = None
    duplicate: tuple[str, int, int, tuple[Any, ...] | None] | None = None
    """The first key given twice in one mapping: the key, its two lines, the mapping's path."""


def _walk(root: yaml.Node) -> _Shape:
    """Lines, depth and expanded size of a node graph, without recursion or expansion."""
    shape = _Shape()
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    visited: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[Any, ...] | None, int, bool]] = [(root, (), 1, False)]
    while stack:
        node, path, level, done = stack.pop()
        key = id(node)
        if done:
            kids = _children(node)
            size[key] = 1 + sum(size.get(id(k), 1) for k in kids)
            depth[key] = 1 + max((depth.get(id(k), 0) for k in kids), default=0)
            open_nodes.discard(key)
            continue
        if path is not None:
            shape.lines.setdefault(path, node.start_mark.line + 1)
        if key in visited:  # an alias: measured already, or (still open) its own ancestor
            if key in open_nodes and shape.cycle_line is None:
                shape.cycle_line = node.start_mark.line + 1
                shape.cycle_path = path
            continue
        visited.add(key)
        if not isinstance(node, yaml.CollectionNode):
            continue
        if level > MAX_DEPTH and shape.deep_line is None:
            shape.deep_line = node.start_mark.line + 1
        if shape.duplicate is None and isinstance(node, yaml.MappingNode):
            shape.duplicate = _duplicate_key(node, path)
        open_nodes.add(key)
        stack.append((node, path, level, True))
        stack.extend(reversed(_pushed(node, path, level, shape.lines)))  # document order
    shape.values = size.get(id(root), 1)
    shape.depth = depth.get(id(root), 0)
    shape.nodes = len(visited)
    return shape


def _duplicate_key(
    node: yaml.MappingNode, path: tuple[Any, ...] | None
) -> tuple[str, int, int, tuple[Any, ...] | None] | None:
    """The first plain key a mapping gives twice (YAML keeps the last one silently), or None."""
    first: dict[str, int] = {}
    for k, _ in node.value:
        if not isinstance(k, yaml.ScalarNode) or k.tag == "tag:yaml.org,2002:merge":
            continue
        line = k.start_mark.line + 1
        if k.value in first:
            return k.value, first[k.value], line, path
        first[k.value] = line
    return None


def _pushed(
    node: yaml.Node, path: tuple[Any, ...] | None, level: int, lines: Lines
) -> list[tuple[yaml.Node, tuple[Any, ...] | None, int, bool]]:
    """The children of a collection to walk, with their data paths (None: not addressable)."""
    if isinstance(node, yaml.SequenceNode):
        return [(item, None if path is None else (*path, i), level + 1, False)
                for i, item in enumerate(node.value)]  # fmt: skip
    out: list[tuple[yaml.Node, tuple[Any, ...] | None, int, bool]] = []
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode):
            sub = None if path is None else (*path, k.value)
            if sub is not None:
                lines[sub] = k.start_mark.line + 1
            out.append((v, sub, level + 1, False))
        else:
            out.extend([(k, None, level + 1, False), (v, None, level + 1, False)])
    return out


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text` on one line, cut to about `limit` characters with its length said."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return f"{flat[: limit - 20]}... ({len(text):,} characters)"


def _read_bytes(path: Path) -> bytes:
    """At most :data:`MAX_FILE_BYTES` of a file; an error for more, or for a folder."""
    name = str(path)
    limit = f"park and scenario files are at most {MAX_FILE_BYTES // 1_048_576} MB"
    try:
        if path.is_dir():
            raise InputError(name, "is a folder, expected a YAML or JSON file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(name, f"is {size / 1_048_576:.1f} MB; {limit}")
        with path.open("rb") as handle:  # a device or a pipe has no size: read a bounded part
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(name, "file not found") from None
    except PermissionError:
        raise InputError(name, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise InputError(name, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(name, f"holds more than {MAX_FILE_BYTES // 1_048_576} MB; {limit}")
    return raw


def read_text(path: Path) -> str:
    """The text of a park, scenario or problem file (bounded, UTF-8, not empty).

    Raises:
        InputError: the file cannot be read, is binary, is not UTF-8, is empty or too big.
    """
    name = str(path)
    raw = _read_bytes(path)
    if b"\x00" in raw[:8192]:
        raise InputError(name, "is a binary file, expected YAML or JSON text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise InputError(name, "is empty, expected a park, scenario or decision-problem document")
    return text


def read_document(path: Path) -> tuple[Any, Lines]:
    """Parse a YAML or JSON file into plain data and a map from data path to line number.

    Raises:
        InputError: the file cannot be read, is not a document, or passes a reading limit.
    """
    return parse_document(read_text(path), path)


def parse_document(text: str, path: Path) -> tuple[Any, Lines]:
    """Parse the text of file `path` (:func:`read_text`) as :func:`read_document` does.

    Raises:
        InputError: the text is not a document or passes a reading limit.
    """
    if path.suffix.lower() == ".json":
        return _read_json(text, str(path))
    return _read_yaml(text, str(path))


class _DuplicateKey(Exception):
    """A JSON object that gives one key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a key given twice (json keeps the last silently)."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return data


def _read_json(text: str, name: str) -> tuple[Any, Lines]:
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise InputError(
            name,
            f"'{exc.args[0]}' is given twice in one object; the second would silently replace "
            "the first: merge them into one",
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(name, f"JSON syntax error: {exc.msg}", line=exc.lineno) from None
    except ValueError as exc:  # an integer past Python's digit limit
        raise InputError(name, _too_long_number(exc)) from None
    except RecursionError:
        depth = _json_depth(text)
        raise InputError(
            name, f"nested {depth:,} levels deep; at most {MAX_DEPTH} (parks need about ten)"
        ) from None
    depth = _depth(data)
    if depth > MAX_DEPTH:
        raise InputError(
            name, f"nested {depth} levels deep; at most {MAX_DEPTH} (parks need about ten)"
        )
    return data, _LazyLines(text) if len(text) <= JSON_LINE_MAP_CHARS else {}


def _json_depth(text: str) -> int:
    """How deep brackets nest in JSON text, strings left out (vectorised, no recursion)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text).encode()
    codes = np.frombuffer(bare, dtype=np.uint8)
    steps = np.isin(codes, OPENING).astype(np.int64) - np.isin(codes, CLOSING)
    return int(np.cumsum(steps).max(initial=0))


def _depth(data: Any) -> int:
    """How deep lists and mappings nest in plain data (without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items if isinstance(item, dict | list))
    return deepest


def _compose(text: str, name: str) -> tuple[Any, yaml.Node | None]:
    """The loader (for constructing) and the node graph of a YAML text."""
    loader = _Loader(text)
    try:
        return loader, loader.get_single_node()
    except RecursionError:  # the pure-Python composer; libyaml stops at 1000 levels itself
        loader.dispose()
        raise InputError(name, f"nested too deep to read; at most {MAX_DEPTH} levels") from None
    except yaml.MarkedYAMLError as exc:
        loader.dispose()
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        if "maximum nesting depth" in what:  # libyaml's own limit, 1000 levels
            what = f"nested more than {LIBYAML_DEPTH:,} levels deep; at most {MAX_DEPTH}"
            raise InputError(name, what, line=line) from None
        raise InputError(name, f"YAML syntax error: {excerpt(what, 200)}", line=line) from None
    except yaml.YAMLError as exc:
        loader.dispose()
        raise InputError(name, f"YAML error: {excerpt(str(exc), 200)}") from None


def _check_shape(shape: _Shape, name: str) -> None:
    """Refuse a document nested too deep, with a cycle, or that aliases blow up."""
    if shape.depth > MAX_DEPTH:
        raise InputError(
            name,
            f"nested {shape.depth:,} levels deep (mappings and lists inside each other); "
            f"at most {MAX_DEPTH} (parks and scenarios need about ten)",
            line=shape.deep_line,
        )
    if shape.cycle_line is not None:
        raise InputError(
            name,
            "a YAML alias (*name) points at a mapping or list that holds it (a loop)",
            place=format_loc(shape.cycle_path or ()),
            line=shape.cycle_line,
        )
    if shape.duplicate is not None:
        key, first, again, path = shape.duplicate
        raise InputError(
            name,
            f"'{key}' is given twice in one mapping (lines {first} and {again}); the second "
            "would silently replace the first: merge them into one",
            place=format_loc(path or ()),
            line=again,
        )
    if shape.values - shape.nodes > MAX_ALIAS_VALUES:
        raise InputError(
            name,
            f"YAML aliases (*name) expand the document's {shape.nodes:,} values to "
            f"{shape.values:,}; they may repeat at most {MAX_ALIAS_VALUES:,} values",
        )


def _read_yaml(text: str, name: str) -> tuple[Any, Lines]:
    loader, root = _compose(text, name)
    if root is None:
        loader.dispose()
        return None, {}
    try:
        shape = _walk(root)
        _check_shape(shape, name)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(name, f"YAML error: {excerpt(str(exc.problem), 200)}", line=line) from None
    except ValueError as exc:  # an integer past Python's digit limit
        raise InputError(name, _too_long_number(exc)) from None
    finally:
        loader.dispose()
    return data, shape.lines


def _too_long_number(exc: ValueError) -> str:
    """The message for a number too long to read (Python refuses integers past 4,300 digits)."""
    if "digits" not in str(exc):
        raise exc
    return f"holds a number of more than {sys.get_int_max_str_digits():,} digits; no value needs it"


class _LazyLines(dict[tuple[Any, ...], int]):
    """The line map of a JSON text, composed only when an error needs a line number."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text: str | None = text

    def _fill(self) -> None:
        if self._text is not None:
            text, self._text = self._text, None
            try:
                loader, root = _compose(text, "")
            except InputError:
                return
            loader.dispose()
            if root is not None:
                self.update(_walk(root).lines)

    def __bool__(self) -> bool:
        return True  # there may be lines: do not let `lines or {}` drop the map unread

    def __contains__(self, key: object) -> bool:
        self._fill()
        return super().__contains__(key)

    def __getitem__(self, key: tuple[Any, ...]) -> int:
        self._fill()
        return super().__getitem__(key)

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        self._fill()
        return super().get(key, default)
