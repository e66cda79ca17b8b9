"""The HTTP API: documents mirror the CLI's, bad requests are 400s naming the field, uploads are
checked like files, what-ifs run in a worker with progress, cancel and a time limit, and the
token rule holds on every route.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

import cli
from console.experiment import ExperimentOptions
from twin import api as twin_api
from twin.errors import UsageError
from twin.io.load import load_park
from twin.live.state import history_document, state_document
from twin.live.store import Store
from web import push, scenarios
from web.app import create_app
from web.jobs import JobManager
from web.security import COOKIE, TOKEN_ENV, is_loopback, resolve_token
from web.server import build_services

from .web_helpers import START, feed, iso, visits
from .web_helpers import wait_for_job as wait_for

PARK = load_park("demo-small")
TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "live.db"
    with feed(PARK, path) as writer:
        writer.publish(*visits(PARK, hours=3))
        outage = {"time": iso(START.replace(hour=8)), "asset": "fd1", "event": "outage_start"}
        reading = {"time": iso(START.replace(hour=8, minute=50)), "asset": "f2"}
        reading.update(quantity="power_kw", value=2222.0)
        writer.publish(("alarms", outage), ("meters", reading))
    return path


@pytest.fixture
def live_client(tmp_path: Path, store: Path) -> Iterator[TestClient]:
    services = build_services("demo-small", store, tmp_path / "scratch")
    with TestClient(create_app(services), base_url="http://127.0.0.1") as test_client:
        yield test_client
    services.jobs.close()


# --------------------------------------------------------------------------- documents


def test_without_a_store_the_live_endpoints_say_so(client: TestClient) -> None:
    assert client.get("/api/health").json() == {
        "status": "ok",
        "park": "Demo Small Park",
        "live": False,
    }
    for path in ("/api/state", "/api/forecast", "/api/alerts", "/api/history", "/api/events"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "--store" in answer.json()["error"]
    park = client.get("/api/park").json()
    assert [b["id"] for b in park["buildings"]] == ["f1", "f2", "w1", "o1", "u1"]


def test_state_and_history_mirror_the_live_documents(live_client: TestClient, store: Path) -> None:
    at = START.replace(hour=9)
    with Store.open(store, read_only=True) as reader:
        expected_state = state_document(PARK, reader, at)
        expected_history = history_document(PARK, reader, START, at, 30)
    assert live_client.get("/api/state", params={"at": iso(at)}).json() == expected_state
    answer = live_client.get(
        "/api/history", params={"from": iso(START), "to": iso(at), "step_min": 30}
    )
    assert answer.json() == expected_history
    assert expected_state["trucks"]["in_park"] > 0


def test_status_colours_follow_the_stored_outage(live_client: TestClient) -> None:
    doc = live_client.get("/api/status", params={"at": iso(START.replace(hour=9))}).json()
    status = doc["status"]
    assert status["outages"] == ["fd1"]
    assert not status["buildings"]["f1"]["powered"]
    assert status["buildings"]["f2"]["power_kw"] == 2222.0
    assert status["buildings"]["f2"]["power_source"] == "meter"
    assert len(status["trucks"]) == doc["state"]["trucks"]["in_park"]
    assert "visits" not in doc["state"]["trucks"]
    tile = {t["kpi"]: t for t in doc["tiles"]}["trucks.in_park"]
    before = live_client.get("/api/state", params={"at": iso(START.replace(hour=8))}).json()
    assert tile["change_1h"] == doc["state"]["trucks"]["in_park"] - before["trucks"]["in_park"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/state", {"at": "yesterday"}, "at:"),
        ("/api/history", {"from": "2026-13-01"}, "from:"),
        ("/api/history", {"step_min": "fast"}, "step_min:"),
        ("/api/history", {"step_min": "0"}, "step_min:"),
        ("/api/history", {"from": "2026-01-05T10:00", "to": "2026-01-05T09:00"}, "to:"),
        ("/api/history", {"from": "2026-01-01T00:00", "step_min": "1"}, "step_min:"),
    ],
)
def test_bad_query_values_are_400_naming_the_field(
    live_client: TestClient, path: str, params: dict, field: str
) -> None:
    answer = live_client.get(path, params=params)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(field)


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/state", {"at": "2026-01-04T06:00"}, "at: 2026-01-04T06:00:00 is before the store's"),
        ("/api/status", {"at": "2026-01-09T06:00"}, "at: 2026-01-09T06:00:00 is more than 24 h"),
        ("/api/history", {"from": "1990-01-01T00:00", "to": "1990-01-02T00:00"}, "to: 1990-01-02"),
        ("/api/history", {"from": "2027-01-01T00:00", "to": "2027-01-02T00:00"}, "from: 2027"),
    ],
)
def test_a_moment_the_store_knows_nothing_of_is_a_400(
    live_client: TestClient, path: str, params: dict, message: str
) -> None:
    """They answered an empty park (no truck, no outage) as if it had been observed."""
    answer = live_client.get(path, params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith(message)


def test_moments_the_store_covers_are_served(live_client: TestClient) -> None:
    after = START.replace(hour=20)  # after the last message, within its visits' reach
    assert live_client.get("/api/state", params={"at": iso(after)}).status_code == 200
    window = {"from": "2026-01-01T00:00", "to": iso(START.replace(hour=7))}  # overlaps the span
    assert live_client.get("/api/history", params=window).status_code == 200


# --------------------------------------------------------------------------- scenarios


GOOD = b"""scenario: {name: busier}
changes:
  - {scale: "logistics.flows[*].rate_per_hour", by: 1.5}
"""


def test_only_the_scenarios_written_for_the_served_park_are_listed(client: TestClient) -> None:
    listed = {s["name"]: s for s in client.get("/api/scenarios").json()["scenarios"]}
    assert list(listed) == ["demo-cable-fault"]  # its base is demo-small; the others' yen-binh
    assert listed["demo-cable-fault"]["applies"] is True


def test_yen_binh_lists_its_scenarios_and_a_park_of_ones_own_none(tmp_path: Path) -> None:
    copy = tmp_path / "yen-binh.yaml"
    copy.write_bytes(Path("assets/parks/yen-binh.yaml").read_bytes())
    own = scenarios.bundled_list(load_park(copy), str(copy))
    assert own == []  # the same park, but the user's file: the bundled ones are not its own
    listed = {s["name"]: s for s in scenarios.bundled_list(load_park("yen-binh"), "yen-binh")}
    assert "demo-cable-fault" not in listed
    # feeder-only has no base: it is written for the default park, yen-binh
    assert {"peak-season", "more-docks", "cable-fault", "feeder-only"} <= set(listed)
    assert listed["more-docks"]["applies"] is True


def test_a_scenario_given_to_the_server_is_listed_with_its_document(tmp_path: Path) -> None:
    given = tmp_path / "fd1-out.yaml"
    given.write_text(
        "scenario: {name: fd1 out}\nevents:\n  - {outage: fd1, from: {day: 1, at: '08:00'}, "
        "duration_h: 2}\n",
        encoding="utf-8",
    )
    park = load_park("demo-small")
    entries = scenarios.given_list(park, [str(given), "demo-cable-fault"])
    assert [e["name"] for e in entries] == ["fd1 out"]  # a bundled name is in the bundled list
    assert entries[0]["applies"] is True
    chosen = scenarios.choices(park, [entries[0]["document"]])
    assert chosen[0].name == "fd1 out"
    wrong = scenarios.given_list(load_park("yen-binh"), [str(given)])[0]
    assert wrong["applies"] is False and "fd1" in wrong["error"]


def test_an_uploaded_scenario_is_checked_and_returned(client: TestClient) -> None:
    answer = client.post("/api/scenarios/check", params={"name": "busier.yaml"}, content=GOOD)
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "busier"
    assert answer.json()["document"]["changes"][0]["by"] == 1.5


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("bad.yaml", b"scenario: {name: x\nchanges: []\n", "bad.yaml:"),
        ("ids.yaml", b"scenario: {name: x}\nchanges:\n  - {remove: 'buildings[id=zz]'}\n", "zz"),
        (
            "field.yaml",
            b"scenario: {name: x}\nchanges: []\nevents:\n  - {outage: 3}\n",
            "field.yaml:4",
        ),
        ("park.yaml", Path("assets/parks/demo-small.yaml").read_bytes(), "is a park file"),
        ("notes.txt", GOOD, "must end in .yaml"),
        ("latin.yaml", "scenario: {name: caf\xe9}".encode("latin-1"), "not UTF-8"),
        (
            "laughs.yaml",
            b"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
            "laughs.yaml:2: YAML alias",
        ),
    ],
)
def test_bad_uploads_are_400_with_a_located_message(
    client: TestClient, name: str, body: bytes, expected: str
) -> None:
    answer = client.post("/api/scenarios/check", params={"name": name}, content=body)
    assert answer.status_code == 400
    message = answer.json()["error"]
    assert expected in message
    assert "Traceback" not in message
    assert "/tmp" not in message  # named by the upload, not the server's scratch file


def test_an_upload_path_cannot_escape(client: TestClient) -> None:
    answer = client.post("/api/scenarios/check", params={"name": "../../etc/x.yaml"}, content=GOOD)
    assert answer.status_code == 200
    assert answer.json()["name"] == "busier"


# --------------------------------------------------------------------------- what-if jobs


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"scenarios": []}, "scenarios"),
        ({"scenarios": "peak-season"}, "scenarios"),
        ({"scenarios": ["no-such"]}, "scenarios[0]"),
        ({"scenarios": ["peak-season"], "days": 0}, "days:"),
        ({"scenarios": ["peak-season"], "days": "two"}, "days:"),
        ({"scenarios": ["peak-season"], "replications": 2.5}, "replications:"),
        ({"scenarios": ["peak-season"], "replications": 500}, "replications:"),
        ({"scenarios": ["peak-season"], "seed": 3}, "seed:"),
        ({"scenarios": [{"scenario": {"name": "x"}, "changes": [{"sett": "a"}]}]}, "scenarios[0]"),
        ({"scenarios": ["more-docks"]}, "sevt-p1-docks"),
        ({"scenarios": ["substation-outage"], "days": 2}, "scenarios[0]: the outage of 'sub1'"),
        ({"scenarios": ["peak-season", "substation-outage"]}, "days 3 or more"),
        ({"scenarios": ["peak-season"], "lang": "fr"}, "lang:"),
    ],
)
def test_bad_compare_requests_are_400_naming_the_field(
    client: TestClient, body: dict, expected: str
) -> None:
    answer = client.post("/api/compare", json=body)
    assert answer.status_code == 400, answer.text
    assert expected in answer.json()["error"]


def test_each_scenario_says_how_many_days_cover_its_events(client: TestClient) -> None:
    listed = {s["name"]: s for s in scenarios.bundled_list(load_park("yen-binh"))}
    assert listed["substation-outage"]["min_days"] == 3  # its outage starts on day 2
    assert listed["peak-season"]["min_days"] == 0
    served = {s["name"]: s for s in client.get("/api/scenarios").json()["scenarios"]}
    assert served["demo-cable-fault"]["min_days"] == 2  # its cable fault is on day 1
    late = GOOD.replace(
        b"changes:", b"events: [{flow: in-f1, from: {day: 6}, factor: 2}]\nchanges:"
    )
    checked = client.post("/api/scenarios/check", params={"name": "late.yaml"}, content=late)
    assert checked.status_code == 200, checked.text
    assert checked.json()["min_days"] == 7


@pytest.mark.parametrize("body", [b"{scenarios", b"[" * 100_000 + b"]" * 100_000, b"\xff"])
def test_a_body_that_is_not_json_is_400(client: TestClient, body: bytes) -> None:
    answer = client.post("/api/compare", content=body)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("body:")


def test_a_body_too_large_is_refused_unread_with_413(client: TestClient) -> None:
    answer = client.post("/api/compare", content=b" " * (1024 * 1024 + 1))
    assert answer.status_code == 413
    assert answer.json()["error"] == "body: 1024 KB is more than 1024 KB"
    for path in ("/api/scenarios/check", "/api/optimize"):
        answer = client.post(path, params={"name": "big.yaml"}, content=b"#" * (300 * 1024))
        assert answer.status_code == 413
        assert answer.json()["error"] == "big.yaml: is too large: uploads are at most 256 KB"


def test_a_what_if_gives_the_same_comparison_as_the_library(
    client: TestClient, tmp_path: Path
) -> None:
    scenario = json.loads(json.dumps(client.post(
        "/api/scenarios/check", params={"name": "busier.yaml"}, content=GOOD
    ).json()["document"]))  # fmt: skip
    body = {"scenarios": ["peak-season", scenario], "days": 0.5, "replications": 3}
    answer = client.post("/api/compare", json=body)
    assert answer.status_code == 202
    doc = wait_for(client, answer.json()["job"])
    assert doc["status"] == "done", doc.get("error")
    assert doc["progress"] == 1.0
    settings = ExperimentOptions(days=0.5, replications="3").settings()
    uploaded = tmp_path / "busier.json"
    uploaded.write_text(json.dumps(scenario), encoding="utf-8")
    expected = twin_api.compare(PARK, ["peak-season", uploaded], settings)
    got = doc["comparison"]
    assert got["rows"] == json.loads(json.dumps(expected.to_dict()["rows"]))
    assert doc["verdicts"] == expected.verdicts()  # demo-small: no warnings to add
    assert doc["table"] == expected.summary_table()
    assert doc["verdicts"][0].startswith("peak-season: ")


def test_a_what_if_answers_in_the_language_asked_with_the_summary_first(
    client: TestClient,
) -> None:
    body = {"scenarios": ["peak-season"], "days": 0.5, "replications": 3, "lang": "vi"}
    doc = wait_for(client, client.post("/api/compare", json=body).json()["job"])
    assert doc["status"] == "done", doc.get("error")
    assert doc["comparison"]["summary"]["lang"] == "vi"
    assert doc["summary"] == doc["comparison"]["summary"]["text"]
    assert doc["table"]["columns"][:3] == ["Chỉ số", "đơn vị", "hiện trạng"]
    assert client.get("/api/park").json()["language"] is None  # demo-small: the page's English


def test_a_running_what_if_can_be_cancelled(client: TestClient) -> None:
    body = {"scenarios": ["peak-season"], "days": 14, "replications": 50}
    job = client.post("/api/compare", json=body).json()["job"]
    deadline = time.monotonic() + 60
    while client.get(f"/api/jobs/{job}").json()["status"] == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert client.delete(f"/api/jobs/{job}").status_code == 200
    doc = wait_for(client, job, timeout=30)
    assert doc["status"] == "cancelled"
    assert client.get("/api/jobs/nope").status_code == 404


def test_a_what_if_past_its_time_limit_fails_and_the_next_one_runs() -> None:
    jobs = JobManager(PARK, time_limit_s=1.0)
    try:
        slow = jobs.submit(["peak-season"], ["peak-season"], 14, 50)
        quick = jobs.submit(["peak-season"], ["peak-season"], 0.25, 2)
        deadline = time.monotonic() + 90
        while quick.status not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert slow.status == "failed"
        assert "time limit of 1 s" in (slow.error or "")
        assert quick.status in ("done", "failed")
    finally:
        jobs.close()


# --------------------------------------------------------------------------- safety


def test_what_counts_as_loopback() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "::1", "[::1]", "localhost", "LOCALHOST"))
    assert not any(is_loopback(h) for h in ("127.0.0.2", "0.0.0.0", "10.0.0.1", "::"))


def test_a_token_is_required_off_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert resolve_token("127.0.0.1", None) is None
    with pytest.raises(UsageError, match="not loopback"):
        resolve_token("127.0.0.2", None)
    with pytest.raises(UsageError, match="at least 12"):
        resolve_token("0.0.0.0", "short")
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    assert resolve_token("127.0.0.2", None) == TOKEN


def test_every_route_needs_the_token_when_one_is_set(tmp_path: Path) -> None:
    services = build_services("demo-small", None, tmp_path)
    app = create_app(services, TOKEN)
    try:
        with TestClient(app, base_url="http://127.0.0.2") as anonymous:
            for path in ("/", "/static/app.js", "/api/health", "/api/park", "/api/events", "/3d"):
                answer = anonymous.get(path)
                assert answer.status_code == 401, path
                assert "token" in answer.json()["error"]
            assert anonymous.post("/api/compare", json={"scenarios": ["x"]}).status_code == 401
            assert anonymous.get("/api/health", params={"token": "wrong"}).status_code == 401
            bearer = {"Authorization": f"Bearer {TOKEN}"}
            assert anonymous.get("/api/health", headers=bearer).status_code == 200
            first = anonymous.get("/", params={"token": TOKEN})
            assert first.status_code == 200
            assert COOKIE in first.headers["set-cookie"]
            assert "HttpOnly" in first.headers["set-cookie"]
            # the browser now sends the cookie: the page's scripts load without ?token=
            assert anonymous.get("/static/app.js").status_code == 200
    finally:
        services.jobs.close()


def test_without_a_token_only_loopback_host_names_are_served(client: TestClient) -> None:
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/health", headers={"Host": "localhost:8050"}).status_code == 200
    rebound = client.get("/api/health", headers={"Host": "attacker.example:8050"})
    assert rebound.status_code == 403


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--host", "127.0.0.2"], "not loopback"),
        (["--host", "0.0.0.0", "--token", "short"], "at least 12"),
        (["--host", "0.0.0.0", "--token", "mật-khẩu-rất-dài-123"], "--token may hold only"),
        (["--host", "0.0.0.0", "--token", "abc+def+ghi+jkl"], "--token may hold only"),
        (["--host", "0.0.0.0", "--token", "abc;def=1,ghi jkl"], "--token may hold only"),
        (["--time-limit", "inf"], "--time-limit"),
        (["--time-limit", "1e400"], "--time-limit"),
        (["--store", "no-such.db"], "no such store"),
        (["--replay", "no-such-folder"], "no such sensor folder"),
        (["--replay", "docs"], "docs: has neither meters.csv nor trucks.csv"),  # no empty page
        (["--replay", "assets/sensors/yen-binh", "--speed", "fast"], "--speed"),
        (["no-such-park"], "no-such-park"),
        (["--simulate", "--replay", "assets/sensors/yen-binh"], "--simulate"),
        (["--simulate", "--store", "x.db"], "--store"),
        (["-s", "substation-outage"], "--scenario goes with --simulate"),
        (["--simulate", "-s", "no-such-scenario"], "no-such-scenario"),
        (["--simulate", "--speed", "0"], "--speed"),
        (["--simulate", "--nowcast-every", "-5"], "--nowcast-every"),
        (["--simulate", "--nowcast-every", "nan"], "--nowcast-every"),
        (["--simulate", "--hours", "0"], "--hours"),
        (["--replay", "assets/sensors/yen-binh", "-r", "100000"], "--replications"),
    ],
)
def test_serve_refuses_bad_options_with_exit_2(
    args: list[str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    result = CliRunner().invoke(cli.app, ["serve", *args])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.output


def test_serve_refuses_a_bad_scenario_before_it_binds_or_simulates(tmp_path: Path) -> None:
    """The scenario was read after the port was bound and the park simulated."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: {name: x}\nchanges:\n  - {set: nope.x, value: 1}\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(
            cli.app, ["serve", "--simulate", "-s", str(bad), "--port", port]
        )
    assert result.exit_code == 2, result.output
    assert "bad.yaml: changes[0]: set 'nope.x'" in result.stderr
    assert "simulating" not in result.output


def test_serve_refuses_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli.app, ["serve", "--port", str(port)])
    assert result.exit_code == 2
    assert "cannot listen there" in result.stderr


@pytest.mark.system
def test_serve_replay_is_one_command_that_stops_cleanly() -> None:
    script = Path(sys.executable).parent / "parktwin"
    command = [str(script), "serve", "--replay", "assets/sensors/yen-binh", "--speed", "3600"]
    with subprocess.Popen(
        [*command, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split("open ", 1)[1].strip()
            state = _wait_for_stored(url, 100, timeout=60)
            assert state["time"].startswith("2026-01-05")
        finally:
            process.send_signal(signal.SIGINT)
            _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors


def _wait_for_stored(url: str, count: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    state: dict = {"messages": {"stored": 0}}
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url + "api/health", timeout=10) as answer:
            live = json.loads(answer.read()).get("version")
        if live:
            with urllib.request.urlopen(url + "api/state", timeout=10) as answer:
                state = json.loads(answer.read())
            if state["messages"]["stored"] > count:
                return state
        time.sleep(0.3)
    raise AssertionError(f"only {state['messages']['stored']} messages stored in {timeout} s")


def test_a_page_of_another_site_cannot_start_what_ifs(client: TestClient) -> None:
    body = {"scenarios": ["peak-season"], "days": 0.25, "replications": 2}
    foreign = {"Origin": "http://attacker.example", "Content-Type": "text/plain"}
    refused = client.post("/api/compare", content=json.dumps(body), headers=foreign)
    assert refused.status_code == 403
    assert client.delete("/api/jobs/x", headers=foreign).status_code == 403
    same = {"Origin": "http://127.0.0.1"}
    job = client.post("/api/compare", json=body, headers=same)
    assert job.status_code == 202
    assert client.delete(f"/api/jobs/{job.json()['job']}", headers=same).status_code == 200


def test_event_streams_beyond_the_cap_get_503(
    tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = build_services("demo-small", store, tmp_path / "scratch")
    assert services.hub is not None
    monkeypatch.setattr(services.hub, "clients", push.MAX_STREAMS)
    with TestClient(create_app(services), base_url="http://127.0.0.1") as test_client:
        answer = test_client.get("/api/events")
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "30"
        assert "retry later" in answer.json()["error"]
        assert test_client.get("/api/health").status_code == 200
    services.jobs.close()
    monkeypatch.setattr(services.hub, "clients", push.MAX_STREAMS - 1)
    assert not services.hub.full
