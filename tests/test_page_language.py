"""The page's default language (`serve --lang`), the 3D tab in the page's language, the what-if
result's few-replications note and warnings, and the 3D scene's own words from the table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

import cli
from twin.errors import UsageError
from twin.io.inputs import read_park
from twin.language import TEXT, say
from web.app import Services, create_app
from web.jobs import run_comparison
from web.server import build_services

runner = CliRunner()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Services, TestClient]]:
    """Yên Bình (whose park file names no language) served with ``--lang vi``."""
    services = build_services("yen-binh", None, tmp_path, lang="vi")
    with TestClient(create_app(services), base_url="http://127.0.0.1") as client:
        yield services, client
    services.jobs.close()


def test_yen_binh_names_no_language_of_its_own() -> None:
    assert read_park("yen-binh").park.language is None


def test_serve_lang_sets_the_pages_default_language(served: Any, tmp_path: Path) -> None:
    _, client = served
    assert client.get("/api/park").json()["language"] == "vi"
    for lang in ("en", None):
        services = build_services("yen-binh", None, tmp_path / str(lang), lang=lang)
        with TestClient(create_app(services), base_url="http://127.0.0.1") as other:
            assert other.get("/api/park").json()["language"] == lang  # None: the park's
        services.jobs.close()


def test_a_language_parktwin_does_not_write_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="fr"):
        build_services("yen-binh", None, tmp_path, lang="fr")
    result = runner.invoke(cli.app, ["serve", "yen-binh", "--lang", "fr", "--port", "0"])
    assert result.exit_code == 2
    assert "--lang must be one of en, vi, not 'fr'" in result.output


def test_the_3d_tab_follows_the_pages_language(served: Any) -> None:
    services, client = served
    for lang in ("vi", "en"):
        page = services.threed.path("10:00", lang)
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<p>{lang} scene</p>", encoding="utf-8")
    assert client.get("/3d?at=10:05").text == "<p>vi scene</p>"  # the served default
    assert client.get("/3d?at=10:05&lang=en").text == "<p>en scene</p>"
    assert client.get("/3d?at=10:05&lang=vi").text == "<p>vi scene</p>"
    assert client.get("/3d?at=10:05&lang=fr").status_code == 400


def test_the_3d_waiting_page_speaks_the_language_asked(served: Any, tmp_path: Path) -> None:
    services, client = served
    services.threed._running = (Path("other.html"), _Busy())  # a render runs: nothing starts
    answer = client.get("/3d?at=11:00&lang=en")
    assert answer.status_code == 202
    assert say("web.3d_waiting", "en", at="11:00") in answer.text
    assert '<html lang="en">' in answer.text
    vi = client.get("/3d?at=11:00")
    assert say("web.3d_waiting", "vi", at="11:00") in vi.text
    services.threed._running = None


class _Busy:
    """A render process that is still running."""

    def is_alive(self) -> bool:
        return True


class _Pipe:
    """What a worker sends its parent, kept."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def send(self, message: tuple[str, Any]) -> None:
        self.sent.append(message)

    def close(self) -> None:
        pass


def test_a_what_if_shows_the_few_replications_note_and_the_warnings() -> None:
    tiny = {
        "scenario": {"name": "tiny-factory"},
        "changes": [
            {"set": "buildings[id=f1].power.base_kw", "value": 1.0},
            {"set": "buildings[id=f1].power.shift_kw", "value": 0.5},
        ],
    }
    for lang in ("vi", "en"):
        pipe = _Pipe()
        run_comparison(read_park("demo-small"), [tiny], 0.25, 2, pipe, lang)
        kind, doc = pipe.sent[-1]
        assert kind == "done", doc
        assert doc["notes"] == [say("note.few_replications", lang, n=2)]
        assert [w for w in doc["warnings"] if "a factory drawing at most 1.5 kW" in w]
        assert doc["warnings"] == doc["comparison"]["warnings"]
        assert not any(line.startswith("warning:") for line in doc["verdicts"])  # not twice
    pipe = _Pipe()
    run_comparison(read_park("demo-small"), ["peak-season"], 0.25, 4, pipe, "vi")
    assert pipe.sent[-1][1]["notes"] == []


def test_the_3d_scenes_words_come_from_the_table() -> None:
    pytest.importorskip("pyvista")
    from viz.overlay import legend_rows
    from viz.scene import build_scene

    park = read_park("yen-binh")
    assert park.water is not None and park.water.wastewater is not None
    vi, en = build_scene(park, lang="vi"), build_scene(park, lang="en")
    assert say("viz.wastewater_plant", "vi") in vi.labels[1]
    assert "Wastewater plant" not in vi.labels[1]
    assert "Wastewater plant" in en.labels[1]
    assert say("viz.north", "vi") in vi.marks[1] and "N" in en.marks[1]
    vi_words = {text["vi"] for text in TEXT.values()}
    for network in (True, False):
        titles, rows = legend_rows(["factory", "warehouse", "utility"], network, "vi")
        words = [*titles, *(text for row in rows for text, _ in row)]
        for word in words:
            assert word in vi_words or not any(c.isalpha() for c in word), word
