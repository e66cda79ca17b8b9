"""One ISO-time reader (twin.model.clock.park_time) for live messages, the command line and the
web: an offset is converted to the park's clock, and a time that leaves the calendar once
converted is a clear bad-input error, never an OverflowError.

The park is demo-small, on Asia/Ho_Chi_Minh (UTC+07:00 all year, no daylight saving), so
``T03:00+00:00`` and ``T05:00+02:00`` are both 10:00 in the park.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

import cli
from twin.io.load import load_park
from twin.live.messages import Validator
from twin.live.store import Store
from twin.model.clock import BadTime, park_time
from web.app import create_app
from web.server import build_services

from .web_helpers import START, feed, iso, visits

PARK = load_park("demo-small")
ZONE = PARK.park.timezone
AT = START + timedelta(hours=2)  # 08:00 park time, inside the fed span
AT_PLUS_2 = (AT - timedelta(hours=5)).isoformat(timespec="minutes") + "+02:00"
EDGES = ("0001-01-01T00:00+02:00", "9999-12-31T23:00-05:00", "9999-12-31T23:30+00:00")


def test_an_offset_is_converted_to_park_time() -> None:
    assert park_time("2026-01-05T03:00+00:00", ZONE) == datetime(2026, 1, 5, 10, 0)
    assert park_time("2026-01-05T05:00+02:00", ZONE) == datetime(2026, 1, 5, 10, 0)
    assert park_time("2026-01-05T10:00+07:00", ZONE) == datetime(2026, 1, 5, 10, 0)
    assert park_time(" 2026-01-05T10:00 ", ZONE) == datetime(2026, 1, 5, 10, 0)  # park time
    assert park_time("2026-01-05T23:30-02:00", ZONE) == datetime(2026, 1, 6, 8, 30)  # next day
    assert park_time("2026-01-05T03:00Z", ZONE).tzinfo is None


@pytest.mark.parametrize("text", EDGES)
def test_years_1_and_9999_with_an_offset_are_bad_input_not_an_overflow(text: str) -> None:
    with pytest.raises(BadTime, match="outside the years 1 to 9999"):
        park_time(text, ZONE)
    # without an offset the same moments are park times already, and fine
    assert park_time(text[:16], ZONE).year in (1, 9999)


@pytest.mark.parametrize("text", ["yesterday", "2026-02-30T08:00", "", "10:00+02:00"])
def test_a_text_that_is_no_iso_time_says_so(text: str) -> None:
    with pytest.raises(BadTime, match="is not an ISO 8601 time"):
        park_time(text, ZONE)


# --------------------------------------------------------------------------- live messages


def message_time(text: str) -> datetime | str:
    """The time a live message is stored at, or the reason it is rejected."""
    validator = Validator(PARK, max_ahead_h=None)
    body = {"time": text, "truck_id": "T1", "flow": "in-f1", "event": "arrive", "gate": "g1"}
    records, rejects = validator.parse("trucks", json.dumps(body))
    return records[0].time if records else rejects[0].reason


def test_a_live_message_with_an_offset_is_stored_in_park_time() -> None:
    assert message_time("2026-01-05T05:00+02:00") == datetime(2026, 1, 5, 10, 0)
    assert message_time("2026-01-05T10:00") == datetime(2026, 1, 5, 10, 0)


@pytest.mark.parametrize("text", EDGES)
def test_a_live_message_at_the_calendar_s_edge_is_rejected_with_a_reason(text: str) -> None:
    assert message_time(text) == f"time: '{text}' is outside the years 1 to 9999 in park time " + (
        f"({ZONE})"
    )


# --------------------------------------------------------------------------- the command line


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clock") / "live.db"
    with feed(PARK, path) as writer:
        writer.publish(*visits(PARK, hours=4))
    return path


def test_state_at_with_an_offset_is_the_state_at_that_park_time(store: Path) -> None:
    runner = CliRunner()
    with_offset = runner.invoke(
        cli.app, ["state", "demo-small", "--store", str(store), "--at", AT_PLUS_2, "--json"]
    )
    plain = runner.invoke(
        cli.app, ["state", "demo-small", "--store", str(store), "--at", iso(AT), "--json"]
    )
    assert with_offset.exit_code == 0, with_offset.output
    assert json.loads(with_offset.output)["time"] == AT.isoformat(timespec="seconds")
    assert json.loads(with_offset.output) == json.loads(plain.output)


@pytest.mark.parametrize("command", ["state", "nowcast"])
@pytest.mark.parametrize("text", EDGES[:2])
def test_at_on_the_calendar_s_edge_exits_2_naming_the_flag(
    store: Path, command: str, text: str
) -> None:
    result = CliRunner().invoke(
        cli.app, [command, "demo-small", "--store", str(store), "--at", text]
    )
    assert result.exit_code == 2, result.output
    assert f"parktwin: --at: '{text}' is outside the years 1 to 9999" in result.output
    assert "Traceback" not in result.output and "Overflow" not in result.output


def test_state_at_a_moment_the_store_knows_nothing_of_exits_2(store: Path) -> None:
    """It printed an empty park (no truck, no outage) as if it had been observed."""
    result = CliRunner().invoke(
        cli.app, ["state", "demo-small", "--store", str(store), "--at", "2026-01-01T10:00"]
    )
    assert result.exit_code == 2, result.output
    assert "--at: 2026-01-01T10:00:00 is before the store's first message" in result.output


def test_nowcast_at_with_an_offset_starts_at_that_park_time(store: Path) -> None:
    result = CliRunner().invoke(
        cli.app,
        [
            "nowcast",
            "demo-small",
            "--store",
            str(store),
            "--at",
            AT_PLUS_2,
            "--hours",
            "0.5",
            "-r",
            "2",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["origin"] == AT.isoformat(timespec="seconds")


# --------------------------------------------------------------------------- the web


@pytest.fixture
def client(tmp_path: Path, store: Path) -> Iterator[TestClient]:
    services = build_services("demo-small", store, tmp_path / "scratch")
    with TestClient(create_app(services), base_url="http://127.0.0.1") as test_client:
        yield test_client
    services.jobs.close()


@pytest.mark.parametrize("path", ["/api/state", "/api/status"])
def test_the_web_converts_an_offset_to_park_time(client: TestClient, path: str) -> None:
    with_offset = client.get(path, params={"at": AT_PLUS_2})
    plain = client.get(path, params={"at": iso(AT)})
    assert with_offset.status_code == 200, with_offset.text
    assert with_offset.json() == plain.json()
    state = with_offset.json() if path == "/api/state" else with_offset.json()["state"]
    assert state["time"] == AT.isoformat(timespec="seconds")


def test_the_web_history_reads_both_ends_in_park_time(client: TestClient) -> None:
    start, end = AT_PLUS_2, (AT + timedelta(hours=1) - timedelta(hours=5)).isoformat() + "+02:00"
    answer = client.get("/api/history", params={"from": start, "to": end, "step_min": 15})
    assert answer.status_code == 200, answer.text
    assert answer.json()["time"][0] == AT.isoformat(timespec="seconds")


@pytest.mark.parametrize("text", EDGES)
def test_the_web_answers_400_for_a_time_on_the_calendar_s_edge(
    client: TestClient, text: str
) -> None:
    answer = client.get("/api/state", params={"at": text})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"at: '{text}' is outside the years 1 to 9999")


def test_the_store_keeps_what_was_converted(tmp_path: Path) -> None:
    """A message with an offset and one in park time for the same moment are one record."""
    path = tmp_path / "live.db"
    body = {"truck_id": "T1", "flow": "in-f1", "event": "arrive", "gate": "g1"}
    with feed(PARK, path) as writer:
        writer.publish(("trucks", dict(body, time="2026-01-05T05:00+02:00")))
        writer.publish(("trucks", dict(body, time="2026-01-05T10:00")))
    with Store.open(path, read_only=True) as opened:
        counts = opened.counts()
    assert counts["stored"] == 1 and counts["duplicates"] == 1, counts
