"""`GET /api/n1` and `GET /api/headroom`: the power analyses of the served park, as the commands."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import web.analyses
from tests.load_helpers import dump
from tests.networks import feeder_only_data, ring_data
from twin import api as twin_api
from web.app import create_app
from web.server import build_services


def _client_of(data: dict[str, Any], tmp_path: Path) -> Iterator[TestClient]:
    tmp_path.mkdir()
    park = dump(data, tmp_path / "park.yaml")
    services = build_services(str(park), None, tmp_path)
    with TestClient(create_app(services), base_url="http://127.0.0.1") as test_client:
        yield test_client
    services.jobs.close()


@pytest.fixture
def ring_client(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client_of(ring_data(), tmp_path / "ring")


@pytest.fixture
def plain_client(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client_of(feeder_only_data(), tmp_path / "plain")


@pytest.mark.slow
def test_n1_answers_every_outage_at_the_moment(ring_client: TestClient) -> None:
    answer = ring_client.get("/api/n1", params={"at": "day 0 10:00", "hours": 2})
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["at"] == "day 0 10:00"
    assert {r["outage"] for r in doc["contingencies"]} == {"sub1", "l1", "l2", "l3", "l4"}
    l1 = next(r for r in doc["contingencies"] if r["outage"] == "l1")
    assert l1["restored_by"] == ["l4"] and l1["secure"]


def test_n1_bad_input_is_400_and_no_network_404(
    ring_client: TestClient,
    plain_client: TestClient,
) -> None:
    answer = ring_client.get("/api/n1", params={"at": "tomorrow"})
    assert answer.status_code == 400 and "at" in answer.json()["error"]
    assert ring_client.get("/api/n1", params={"hours": "-1"}).status_code == 400
    answer = plain_client.get("/api/n1")  # no network
    assert answer.status_code == 404 and "power.network" in answer.json()["error"]


def test_one_n1_analysis_runs_at_a_time_and_few_answers_are_kept(
    ring_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each distinct query used to start its own analysis, all at once, and keep it for ever."""
    started, release = threading.Event(), threading.Event()
    calls: list[tuple[float | None, float]] = []

    def slow_n1(park: object, scenario: object, at_min: float | None, hours: float) -> dict:
        calls.append((at_min, hours))
        started.set()
        release.wait(30)
        return {"at": at_min, "hours": hours}

    monkeypatch.setattr(twin_api, "n1", slow_n1)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(ring_client.get, "/api/n1", params={"hours": 2})
        assert started.wait(30)
        other = ring_client.get("/api/n1", params={"hours": 3})
        assert other.status_code == 429 and "N-1" in other.json()["error"]
        same = pool.submit(ring_client.get, "/api/n1", params={"hours": 2})
        release.set()
        assert first.result().json() == same.result().json() == {"at": None, "hours": 2.0}
    assert calls == [(None, 2.0)]  # the second request for it waited for the first
    for hours in range(1, web.analyses.KEPT + 5):
        assert ring_client.get("/api/n1", params={"hours": hours}).status_code == 200
    services = ring_client.app.app.state.services  # type: ignore[attr-defined]
    assert len(services.n1.answers) == web.analyses.KEPT


def test_headroom_answers_every_bus_as_the_command(ring_client: TestClient) -> None:
    answer = ring_client.get("/api/headroom", params={"at": "day 0 10:00", "n1": 1})
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["at"] == "day 0 10:00" and doc["n1"]["insecure_now"] == ["sub1"]
    assert {row["id"] for row in doc["buses"]} == {"sub1-mv", "rmu1", "rmu2", "rmu3"}
    assert all(0 < row["n1"]["headroom_mw"] <= row["headroom_mw"] for row in doc["buses"])
    again = ring_client.get("/api/headroom", params={"at": "day 0 10:00", "n1": "1"})
    assert again.json() == doc


@pytest.mark.parametrize(
    "params", [{"at": "tomorrow"}, {"power_factor": "0.2"}, {"n1": "0.5"}, {"n1": "yes"}]
)
def test_headroom_bad_input_is_400_and_no_network_404(
    ring_client: TestClient, plain_client: TestClient, params: dict[str, str]
) -> None:
    answer = ring_client.get("/api/headroom", params=params)
    assert answer.status_code == 400 and next(iter(params)) in answer.json()["error"]
    assert plain_client.get("/api/headroom").status_code == 404
