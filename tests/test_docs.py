"""The documentation: it builds with --strict, and what it generates follows the code."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
import typing
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import BaseModel

import twin
from twin.model import schema

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"


def _gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from `root` through its fields' annotations."""
    found: list[type[BaseModel]] = []

    def walk(tp: object) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp not in found:
                found.append(tp)
                for field in tp.model_fields.values():
                    walk(field.annotation)
            return
        for arg in typing.get_args(tp):
            walk(arg)

    walk(root)
    return found


@pytest.mark.parametrize(
    ("page", "root"),
    [("reference/park-format.md", schema.Park), ("reference/scenario-format.md", schema.Scenario)],
)
def test_format_reference_has_every_model_and_field(page: str, root: type[BaseModel]) -> None:
    text = _gen().PAGES[page]()
    for model in _models(root):
        assert f"### {model.__name__} {{#{model.__name__.lower()}}}" in text, model
        for name, field in model.model_fields.items():
            shown = field.validation_alias if isinstance(field.validation_alias, str) else name
            assert f"| `{shown}` |" in text, (model.__name__, name)
    # bounds come from the models, e.g. a dock group has at least one dock
    if root is schema.Park:
        assert "| `docks` | integer | **required** | ≥ 1; ≤ 10,000 |" in text
        assert "exactly 24 items" in text  # hourly_profile


def test_cli_reference_has_every_command_and_option() -> None:
    import typer

    import cli

    text = _gen().PAGES["reference/cli.md"]()
    group = typer.main.get_command(cli.app)
    ctx = group.context_class(group, info_name="parktwin")
    commands = group.list_commands(ctx)  # type: ignore[attr-defined]
    assert {"run", "compare", "sweep", "calibrate", "render", "validate"} <= set(commands)
    for name in commands:
        assert f"## parktwin {name}" in text
        command = group.get_command(ctx, name)  # type: ignore[attr-defined]
        for param in command.params:
            for option in param.opts:
                if option.startswith("--") and option != "--help":
                    assert f"`{option}`" in text, (name, option)
            about = getattr(param, "help", None)
            if about:
                assert " ".join(about.split()).replace("|", "\\|") in text, (name, param.name)


def test_api_reference_documents_every_public_name() -> None:
    layout = (DOCS / "api-layout.md").read_text(encoding="utf-8")
    page = (DOCS / "reference" / "api.md").read_text(encoding="utf-8")
    targets = re.findall(r"^::: ([\w.]+)", layout, flags=re.MULTILINE)
    objects = [_gen()._resolve(target) for target in targets]
    for target in targets:
        assert f"{{#{target}}}" in page, f"{target} is not rendered in docs/reference/api.md"
    for name in twin.__all__:
        assert getattr(twin, name) in objects, f"twin.{name} is not in docs/api-layout.md"


def test_generated_reference_pages_follow_the_code() -> None:
    stale = _gen().stale_pages()
    assert not stale, f"{stale} out of date: run python docs/gen_reference.py --write"


def test_the_api_page_renders_signatures_and_docstring_sections() -> None:
    page = (DOCS / "reference" / "api.md").read_text(encoding="utf-8")
    assert "::: " not in page
    simulate = page[page.index("{#twin.simulate}") :]
    assert "simulate(park: ParkSource | None = None" in simulate
    assert "**Args**" in simulate and "- `days`: horizon in days" in simulate


def test_docs_name_only_examples_and_files_that_exist() -> None:
    for page in DOCS.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        for example in re.findall(r"examples/(\w+\.py)", text):
            assert (REPO / "examples" / example).exists(), (page.name, example)
        for test in re.findall(r"tests/(test_\w+\.py)", text):
            assert (REPO / "tests" / test).exists(), (page.name, test)


@pytest.mark.system
def test_docs_build_strict(tmp_path: Path) -> None:
    for module in ("mkdocs", "material"):
        pytest.importorskip(module, reason=f"{module} is not installed (the docs extra)")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    for page in ("index", "tutorial", "background", "reference/api", "reference/park-format"):
        assert (tmp_path / page / "index.html").exists() or page == "index"
    assert (tmp_path / "index.html").exists()
    api = (tmp_path / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    assert 'id="twin.simulate"' in api and 'id="twin.api.compare"' in api
    assert ":func:" not in api and ":class:" not in api  # Sphinx roles are cleaned up
    park = (tmp_path / "reference" / "park-format" / "index.html").read_text(encoding="utf-8")
    assert 'id="dockgroup"' in park and "fonts.googleapis" not in park  # builds offline
