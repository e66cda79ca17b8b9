"""Reference pages generated from the code, so that they cannot drift from it.

- ``reference/park-format.md`` and ``reference/scenario-format.md``: every model of
  :mod:`twin.model.schema`, walked from :class:`~twin.model.schema.Park` and
  :class:`~twin.model.schema.Scenario`, as tables of fields with their types, defaults, bounds and
  descriptions.
- ``reference/cli.md``: every ``parktwin`` command with its arguments and options, from the
  Typer app.

It is a MkDocs hook (``hooks:`` in mkdocs.yml): :func:`on_files` adds the pages to the build
without writing into ``docs/``. Run it as a script to print a page:
``python docs/gen_reference.py reference/park-format.md``.
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


PAGES: dict[str, Callable[[], str]] = {
    "reference/park-format.md": park_reference,
    "reference/scenario-format.md": scenario_reference,
    "reference/cli.md": cli_reference,
}


# --------------------------------------------------------------------------- MkDocs hooks


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages to the build (nothing is written into docs/)."""
    from mkdocs.structure.files import File

    for uri, make in PAGES.items():
        files.append(File.generated(config, uri, content=make()))
    return files


_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj):(?=<code>|<a )")


def on_page_content(html: str, **kwargs: Any) -> str:
    """Drop Sphinx roles (``:func:`x```) that docstrings use; mkdocstrings shows them raw."""
    return _ROLE.sub("", html)


if __name__ == "__main__":
    for page in sys.argv[1:] or list(PAGES):
        sys.stdout.write(PAGES[page]() + "\n")
