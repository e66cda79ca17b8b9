"""Reference pages generated from the code, so that they cannot drift from it.

- ``reference/park-format.md`` and ``reference/scenario-format.md``: every model of
  :mod:`twin.model.schema`, walked from :class:`~twin.model.schema.Park` and
  :class:`~twin.model.schema.Scenario`, as tables of fields with their types, defaults, bounds and
  descriptions.
- ``reference/cli.md``: every ``parktwin`` command with its arguments and options, from the
  Typer app.

- ``reference/api.md``: the Python API, ``docs/api-layout.md`` with each ``::: target`` line
  replaced by the object's signature and docstring.

The pages are committed, so that they read in the repository without a build step, and
``tests/test_docs.py`` fails when one no longer matches the code. After changing the schema, a
command or a docstring of the API, run ``python docs/gen_reference.py --write``;
``--check`` lists stale pages; page names print those pages.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pydantic import BaseModel  # noqa: E402
from pydantic.fields import FieldInfo  # noqa: E402

# --------------------------------------------------------------------------- types as words


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _pattern(pattern: str) -> str:
    from twin.model.validate import _PATTERN_FORMS

    return next((form for key, form in _PATTERN_FORMS.items() if key in pattern), pattern)


def _bounds(metadata: list[Any], items: bool = False) -> list[str]:
    """Bounds from pydantic/annotated-types metadata, as short phrases."""
    out: list[str] = []
    lo = hi = None
    for meta in metadata:
        if isinstance(meta, FieldInfo):
            out += _bounds(list(meta.metadata), items)
            continue
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            value = getattr(meta, attr, None)
            if value is not None and type(meta).__name__.lower() == attr:
                out.append(f"{sign} {_number(value)}")
        if type(meta).__name__ == "MinLen":
            lo = meta.min_length
        if type(meta).__name__ == "MaxLen":
            hi = meta.max_length
        pattern = getattr(meta, "pattern", None)
        if isinstance(pattern, str):
            out.append(_pattern(pattern))
    what = "items" if items else "characters"
    if lo is not None and lo == hi:
        out.append(f"exactly {_number(lo)} {what}")
    elif lo is not None or hi is not None:
        if lo and hi:
            out.append(f"{_number(lo)} to {_number(hi)} {what}")
        elif hi:
            out.append(f"at most {_number(hi)} {what}")
        elif lo:
            out.append(f"at least {_number(lo)} {what}")
    return out


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


class Walker:
    """Turns annotations into words and collects the models met on the way, in order."""

    def __init__(self, unions: dict[str, tuple[str, str]]) -> None:
        # union member names (sorted, joined) -> (anchor, words) for named unions
        self.unions = unions
        self.models: list[type[BaseModel]] = []

    def visit(self, model: type[BaseModel]) -> None:
        if model not in self.models:
            self.models.append(model)

    def describe(self, tp: Any, metadata: list[Any] | None = None) -> tuple[str, list[str]]:
        """(type in words, bounds) of an annotation; bounds of list items are prefixed."""
        bounds = _bounds(metadata or [], items=typing.get_origin(tp) is list)
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Annotated:
            inner, *extra = args
            text, more = self.describe(inner, extra)
            return text, bounds + more
        if origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            if len(members) == 1:
                return self.describe(members[0], metadata)
            key = ",".join(sorted(getattr(m, "__name__", str(m)) for m in members))
            if key in self.unions:
                anchor, words = self.unions[key]
                for m in members:
                    if _is_model(m):
                        self.visit(m)
                return f"[{words}](#{anchor})", bounds
            texts = [self.describe(m)[0] for m in members]
            return " or ".join(texts), bounds
        if origin is typing.Literal and len(args) == 1:
            return f"`{args[0]}`", bounds
        if origin is typing.Literal:
            return "one of " + ", ".join(f"`{a}`" for a in args), bounds
        if origin is list:
            text, item_bounds = self.describe(args[0])
            each = [b if b.startswith("x and y") else f"each {b}" for b in item_bounds]
            return f"list of {text}", bounds + each
        if origin is tuple:
            parts = [self.describe(a) for a in args]
            if len(parts) == 2 and all(p[0] == "number" for p in parts):
                return "point `[x, y]` (m)", ["x and y " + ", ".join(parts[0][1])]
            return "[" + ", ".join(p[0] for p in parts) + "]", bounds
        if origin is dict:
            key, value = (self.describe(a)[0] for a in args)
            return f"mapping of {key} to {value}", bounds
        if _is_model(tp):
            self.visit(tp)
            return f"[{tp.__name__}](#{tp.__name__.lower()})", bounds
        names = {float: "number", int: "integer", str: "text", bool: "true or false"}
        if tp in names:
            return names[tp], bounds
        if tp is Any:
            return "any value", bounds
        return f"`{getattr(tp, '__name__', tp)}`", bounds


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        return "see description"
    value = field.default
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "empty"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, list | tuple | dict) and not value:
        return "empty"
    if isinstance(value, tuple):
        return "`[" + ", ".join(_number(v) for v in value) + "]`"
    return f"`{_number(value) if isinstance(value, int | float) else value}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__ or "")


def model_table(model: type[BaseModel], walker: Walker) -> list[str]:
    """One model: heading, docstring, and a table of its fields."""
    lines = [f"### {model.__name__} {{#{model.__name__.lower()}}}", ""]
    doc = _doc(model)
    if doc:
        lines += [doc, ""]
    lines += [
        "| field | type | default | bounds | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, field in model.model_fields.items():
        shown = field.validation_alias if isinstance(field.validation_alias, str) else name
        text, bounds = walker.describe(field.annotation, list(field.metadata))
        cells = [f"`{shown}`", text, _default(field), "; ".join(bounds), field.description or ""]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return [*lines, ""]


def models_section(
    roots: list[type[BaseModel]], walker: Walker, skip: tuple[type[BaseModel], ...] = ()
) -> list[str]:
    """Tables of the roots and every model reachable from them, in the order first met."""
    for root in roots:
        walker.visit(root)
    lines: list[str] = []
    done: set[type[BaseModel]] = set()
    while True:
        todo = [m for m in walker.models if m not in done and m not in skip]
        if not todo:
            return lines
        model = todo[0]
        done.add(model)
        lines += model_table(model, walker)


def _members(union: Any) -> list[Any]:
    while typing.get_origin(union) is typing.Annotated:
        union = typing.get_args(union)[0]
    return [a for a in typing.get_args(union) if a is not type(None)]


def _key(union: Any) -> str:
    return ",".join(sorted(m.__name__ for m in _members(union)))


# --------------------------------------------------------------------------- pages


def _physical_ranges(schema: Any) -> list[str]:
    """The paragraph on the lower bounds of physical quantities, from the schema's constants."""
    low, high = schema.OHM_PER_KM
    bounds = [
        f"a building's `power_factor` {_number(schema.MIN_POWER_FACTOR)} to 1",
        f"a capacity at least {_number(schema.MIN_CAPACITY_MW)} MW (power) or "
        f"{_number(schema.MIN_CAPACITY_M3H)} m³/h (water)",
        f"a road's `speed_kmh` at least {_number(schema.MIN_ROAD_KMH)}",
        f"a line at least {_number(schema.MIN_LINE_KM)} km long, its `r_ohm_per_km` and "
        f"`x_ohm_per_km` {_number(low)} to {_number(high)}, its `max_i_ka` at least "
        f"{_number(schema.MIN_LINE_KA)}",
        f"a transformer's `sn_mva` at least {_number(schema.MIN_TRANSFORMER_MVA)} and "
        f"`vk_percent` at least {_number(schema.MIN_VK_PERCENT)}",
        f"every `kv` at least {_number(schema.MIN_KV)}",
    ]
    return [
        "Physical quantities must lie in a plausible range, below as well as above: a value",
        "far outside any real park (a power factor or an impedance of 1e-300) is a slip that",
        "would send the power flow to infinities, so it is refused naming the field. The lower",
        "bounds are " + "; ".join(bounds) + ". The tables below give every bound.",
        "",
    ]


def park_reference() -> str:
    """The park file format, from :class:`twin.model.schema.Park`."""
    from twin.model import schema

    dists = _members(schema.Distribution)
    walker = Walker({_key(schema.Distribution): ("distributions", "distribution")})
    body = models_section([schema.Park], walker, skip=tuple(dists))
    lines = [
        "# Park file format",
        "",
        "<!-- generated by docs/gen_reference.py from twin/model/schema.py: do not edit -->",
        "",
        "A park file is YAML or JSON. Its top level is the [Park](#park) model below; every",
        "other table is a part of it, linked from the field that holds it. Unknown fields are",
        "errors, and so are NaN and infinite numbers. Units are in the field names (`_min`",
        "minutes, `_h` hours, `_kw`/`_mw` power, `_m3h` flow, `_m3` volume, `_m` metres).",
        "`parktwin validate FILE` checks a file; `parktwin schema` prints the same rules as a",
        "JSON Schema for editors.",
        "",
        "Rules that tie parts of a park together are checked after the fields: ids are unique",
        "within their list; a feeder names a substation, a building's power a feeder, a dock",
        "group a building, a flow a gate and a dock group that exist; a building that draws",
        "water needs `water.supply`, one that discharges wastewater needs `water.wastewater`;",
        "when the park has roads, every flow's gate reaches its dock group's building by road;",
        "and each item under `extensions` is valid for its asset family.",
        "",
        *_physical_ranges(schema),
        "## Models",
        "",
        *body,
        "## Distributions {#distributions}",
        "",
        "A distribution is a mapping whose `dist` names its family; the other fields are in",
        "the unit of the field that holds it (service times: minutes).",
        "",
    ]
    for dist in dists:
        lines += model_table(dist, walker)
    return "\n".join(lines)


def scenario_reference() -> str:
    """The scenario file format, from :class:`twin.model.schema.Scenario` and its module."""
    from twin.model import scenario as scenario_module
    from twin.model import schema

    walker = Walker(
        {
            _key(schema.Change): ("changes", "change"),
            _key(schema.Event): ("events", "event"),
        }
    )
    changes, events = _members(schema.Change), _members(schema.Event)
    body = models_section([schema.Scenario], walker, skip=(*changes, *events, schema.Moment))
    rules = _doc(scenario_module).split("\n\n", 2)[-1]  # after the title and the first paragraph
    rules = re.sub(r"^(\w[\w ]*)\n-+$", r"### \1", rules, flags=re.MULTILINE)
    lines = [
        "# Scenario file format",
        "",
        "<!-- generated by docs/gen_reference.py from twin/model/schema.py and"
        " twin/model/scenario.py -->",
        "",
        "A scenario file is YAML or JSON: a name, the park it is written for (`base`), the",
        "changes it makes to that park and the timed events it adds to a run. The changes",
        "edit the park's data in order and the result is validated like a park file, so a",
        "scenario can never produce a park that a park file could not describe.",
        "",
        "## Models",
        "",
        *body,
        "## How changes find their place",
        "",
        rules,
        "",
        "## Changes {#changes}",
        "",
        "Each change is a mapping with one of the keys `set`, `scale`, `add` or `remove`.",
        "",
    ]
    for change in changes:
        lines += model_table(change, walker)
    lines += [
        "## Events {#events}",
        "",
        "Each event is a mapping with `outage` or `flow`. Times are counted from the start of",
        'the horizon (after the warm-up): `{day: 2, at: "10:00"}` is 10:00 on the third day.',
        "",
    ]
    for event in events:
        lines += model_table(event, walker)
    lines += model_table(schema.Moment, walker)
    return "\n".join(lines)


def cli_reference() -> str:
    """Every ``parktwin`` command with its arguments and options, from the Typer app."""
    import typer

    import cli

    group: Any = typer.main.get_command(cli.app)  # Typer's own click: duck-typed below
    lines = [
        "# Command line",
        "",
        "<!-- generated by docs/gen_reference.py from cli.py: do not edit -->",
        "",
        inspect.cleandoc(group.help or ""),
        "",
        "Exit status: 0 success, 2 bad input (the message names the file, the line and the",
        "field), 1 internal error, 130 interrupted. `parktwin COMMAND --help` shows the same.",
        "",
    ]
    ctx = group.context_class(group, info_name="parktwin")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        usage = " ".join(command.collect_usage_pieces(ctx))
        about = inspect.cleandoc(command.help or "")
        lines += [f"## parktwin {name}", "", about, "", "```", f"parktwin {name} {usage}"]
        lines += ["```", "", "| argument or option | default | what |", "| --- | --- | --- |"]
        for param in command.params:
            if param.param_type_name == "option":
                if param.hidden or param.name == "help":
                    continue
                names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
            else:
                names = f"`{(param.name or '').upper()}`"
            default = param.default
            hidden = default is None or default is False or default == () or callable(default)
            shown = "" if hidden else f"`{default}`"
            if param.required:
                shown = "**required**"
            what = getattr(param, "help", "") or ""
            lines.append(f"| {_cell(names)} | {_cell(shown)} | {_cell(what)} |")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- Python API page

_LAYOUT = Path(__file__).resolve().parent / "api-layout.md"
_SECTION = re.compile(r"^(Args|Arguments|Returns|Yields|Raises|Attributes|Examples?|Notes?):$")
_SPHINX_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj):`~?([^`]+)`")


def _resolve(target: str) -> Any:
    """The object a dotted path names: the longest importable module, then attributes."""
    import importlib

    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ValueError(f"cannot import {target}")


def _docstring_markdown(doc: str) -> list[str]:
    """A Google-style docstring as Markdown: sections become bold titles, arguments a list."""
    out: list[str] = []
    section = ""
    for raw in _SPHINX_ROLE.sub(r"`\1`", doc).replace("``", "`").splitlines():
        line = raw.rstrip()
        title = _SECTION.match(line.strip()) if not raw.startswith(" ") else None
        if title:
            section = title.group(1)
            out += ["", f"**{section}**", ""]
        elif section and line.startswith("    ") and not line.startswith("        "):
            name, colon, rest = line.strip().partition(": ")
            listed = colon and section in ("Args", "Arguments", "Attributes", "Raises")
            out.append(f"- `{name}`: {rest}" if listed else f"- {line.strip()}")
        elif section and line.startswith("        "):
            out.append("  " + line.strip())
        else:
            section = "" if not line.strip() else section
            out.append(line)
    return out


def _signature(name: str, obj: Any) -> str:
    """``name(params) -> return`` with annotations as written in the code (not quoted)."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return name

    def shown(annotation: Any) -> str:
        if isinstance(annotation, str):
            return annotation
        return inspect.formatannotation(annotation)

    params = []
    star = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in signature.parameters.values())
    for param in signature.parameters.values():
        if param.kind is inspect.Parameter.KEYWORD_ONLY and not star:
            params.append("*")
            star = True
        text = str(
            param.replace(annotation=inspect.Parameter.empty, default=inspect.Parameter.empty)
        )
        if param.annotation is not inspect.Parameter.empty:
            text += f": {shown(param.annotation)}"
        if param.default is not inspect.Parameter.empty:
            text += f" = {param.default!r}"
        params.append(text)
    text = f"{name}({', '.join(params)})"
    if signature.return_annotation is not inspect.Signature.empty:
        text += f" -> {shown(signature.return_annotation)}"
    return text


def _render_object(target: str, members: bool, level: int = 3) -> list[str]:
    obj = _resolve(target)
    name = target.rsplit(".", 1)[-1]
    kind = "class" if inspect.isclass(obj) else "function" if callable(obj) else "attribute"
    lines = [f"{'#' * level} `{name}` {{#{target}}}", "", f"*{kind}* `{target}`", ""]
    if inspect.isclass(obj) and issubclass(obj, BaseModel):
        lines += ["```python", f"{name}(**fields)", "```", ""]  # fields: the format pages
    elif callable(obj):
        lines += ["```python", _signature(name, obj), "```", ""]
    lines += [*_docstring_markdown(inspect.getdoc(obj) or ""), ""]
    if inspect.isclass(obj) and members:
        for member_name, member in vars(obj).items():
            if member_name.startswith("_") or not (inspect.getdoc(member) or "").strip():
                continue
            if isinstance(member, property | staticmethod | classmethod) or inspect.isfunction(
                member
            ):
                lines += _render_member(target, member_name, getattr(obj, member_name), level + 1)
    return lines


def _render_member(owner: str, name: str, member: Any, level: int) -> list[str]:
    lines = [f"{'#' * level} `{name}` {{#{owner}.{name}}}", ""]
    if callable(member):
        lines += ["```python", _signature(name, member), "```", ""]
    return [*lines, *_docstring_markdown(inspect.getdoc(member) or ""), ""]


def api_reference() -> str:
    """The Python API page: docs/api-layout.md with each ``::: target`` rendered from its code."""
    lines: list[str] = []
    layout = _LAYOUT.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(layout):
        line = layout[index]
        index += 1
        if not line.startswith("::: "):
            lines.append(line)
            continue
        members = True
        while index < len(layout) and layout[index].startswith("    "):
            members = members and "members: false" not in layout[index]
            index += 1
        lines += _render_object(line[4:].strip(), members)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"


PAGES: dict[str, Callable[[], str]] = {
    "reference/park-format.md": park_reference,
    "reference/scenario-format.md": scenario_reference,
    "reference/cli.md": cli_reference,
    "reference/api.md": api_reference,
}


# --------------------------------------------------------------------------- writing the pages

DOCS = Path(__file__).resolve().parent


def stale_pages() -> list[str]:
    """The generated pages whose file in docs/ differs from what the code gives now."""
    stale = []
    for uri, make in PAGES.items():
        path = DOCS / uri
        if not path.exists() or path.read_text(encoding="utf-8") != _page_text(make):
            stale.append(uri)
    return stale


def _page_text(make: Callable[[], str]) -> str:
    return make().rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    """``--write``: write every page into docs/; ``--check``: exit 1 naming stale pages;
    page names: print those pages."""
    if argv == ["--write"]:
        for uri, make in PAGES.items():
            (DOCS / uri).write_text(_page_text(make), encoding="utf-8")
            sys.stdout.write(f"wrote docs/{uri}\n")
        return 0
    if argv == ["--check"]:
        stale = stale_pages()
        for uri in stale:
            sys.stdout.write(
                f"docs/{uri} is out of date: run python docs/gen_reference.py --write\n"
            )
        return 1 if stale else 0
    for page in argv or list(PAGES):
        sys.stdout.write(_page_text(PAGES[page]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
