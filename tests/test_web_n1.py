"""`GET /api/n1`: the N-1 document of the served park, as `parktwin n1`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.load_helpers import dump
from tests.networks import feeder_only_data, ring_data
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
