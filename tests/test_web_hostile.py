"""The web API under hostile requests: a 400 naming the field, never a 500; and the server
keeps answering under a crowd of idle connections (web/guard.py)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests import mosquitto
from twin.errors import InputError
from twin.io.load import load_park
from twin.live.messages import MAX_EXPECTED_H, MAX_VALUE
from web.app import create_app
from web.jobs import FINISHED, JobManager
from web.scenarios import given_list, json_document
from web.server import build_services

from .web_helpers import START, feed, iso, visits

PARK = load_park("demo-small")
TOKEN = "a-long-token-for-tests"
GET_PARAMETERS = {
    "/api/health": [],
    "/api/park": [],
    "/api/state": ["at"],
    "/api/status": ["at"],
    "/api/forecast": [],
    "/api/alerts": ["since"],
    "/api/history": ["from", "to", "step_min"],
    "/api/scenarios": [],
    "/api/jobs/x": [],
}
HOSTILE_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01T00:00+14:00", "9999-12-31T23:00-12:00",
         "1989-12-31T23:59", "2100-01-01T00:00", "2026-01-05T08:00", "1e308", "-1e308", "nan",
         "inf", "9" * 400, "9" * 5000, "0", "-0", "2026-01-05T08:00:00.000001+07:00", "\x00"]
    ),
)  # fmt: skip
NUMBER = st.one_of(
    st.integers(min_value=-(10**420), max_value=10**420),
    st.floats(),
    st.sampled_from([1e308, -1e308, 0, 3660, 3661, 10_000, 10_001]),
)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBER, st.text(max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A server over a store holding the largest values the feed accepts."""
    folder = tmp_path_factory.mktemp("web")
    path = folder / "live.db"
    with feed(PARK, path) as writer:
        writer.publish(*visits(PARK, hours=2))
        outage = {"time": iso(START), "asset": "fd1", "event": "outage_start"}
        writer.publish(("alarms", {**outage, "expected_h": MAX_EXPECTED_H}))
        for asset in ("f1", "f2"):
            reading = {"time": iso(START), "asset": asset, "quantity": "power_kw"}
            writer.publish(("meters", {**reading, "value": MAX_VALUE}))
    services = build_services("demo-small", path, folder / "scratch")
    app = create_app(services)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as test:
        yield test
    services.jobs.close()


def no_500(answer: object) -> None:
    status = answer.status_code  # type: ignore[attr-defined]
    assert status < 500, (status, answer.text)  # type: ignore[attr-defined]
    if status == 400:
        assert answer.json()["error"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/state?at=0001-01-01T00:00", "at"),
        ("/api/status?at=0001-01-01T00:00", "at"),
        ("/api/history?from=0001-01-01T00:00", "from"),
        ("/api/history?to=9999-12-31T23:59", "to"),
        ("/api/alerts?since=0001-01-01T00:00", "since"),
    ],
)
def test_a_time_out_of_range_is_a_400_naming_the_field(
    client: TestClient, path: str, field: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith(f"{field}: ")


def test_the_largest_accepted_values_are_served(client: TestClient) -> None:
    for path in ("/api/state", "/api/status"):
        answer = client.get(path)
        assert answer.status_code == 200, answer.text
    outages = client.get("/api/state").json()["outages"]
    assert [o["asset"] for o in outages] == ["fd1"]


@pytest.mark.parametrize(
    ("method", "path", "status", "named"),
    [
        ("GET", "/api/nothing", 404, "/api/nothing"),
        ("POST", "/api/nothing", 404, "/api/nothing"),
        ("GET", "/static/nothing.js", 404, "/static/nothing.js"),
        ("GET", "/api/" + "x" * 5000, 404, "/api/xxx"),
        ("POST", "/api/health", 405, "POST"),
        ("GET", "/api/compare", 405, "GET"),
        ("PUT", "/api/jobs/x", 405, "PUT"),
    ],
)
def test_no_such_route_or_method_is_a_json_error(
    client: TestClient, method: str, path: str, status: int, named: str
) -> None:
    """They were Starlette's plain-text 'Not Found' and 'Method Not Allowed'."""
    answer = client.request(method, path)
    assert answer.status_code == status, answer.text
    message = answer.json()["error"]
    assert named in message and len(message) < 300
    if status == 405:
        assert method not in answer.headers["allow"] and answer.headers["allow"] in message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"days": ' + "9" * 400 + "}", "days"),
        ('{"replications": ' + "9" * 5000 + "}", "body"),
        ('{"days": 1e400}', "days"),
        ('{"replications": 1e308}', "replications"),
    ],
)
def test_huge_numbers_in_a_what_if_are_a_400(client: TestClient, body: str, field: str) -> None:
    answer = client.post("/api/compare", content=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith(f"{field}: ")


def test_uploads_with_a_huge_integer_or_a_long_name_are_a_400(client: TestClient) -> None:
    huge = b"scenario:\n  name: x\n  days: " + b"9" * 5000 + b"\n"
    answer = client.post("/api/scenarios/check?name=big.yaml", content=huge)
    assert answer.status_code == 400, answer.text
    assert "big.yaml" in answer.json()["error"] and "digits" in answer.json()["error"]
    long_name = "a" * 5000 + ".yaml"
    answer = client.post(f"/api/scenarios/check?name={long_name}", content=b"scenario: {}\n")
    assert answer.status_code == 400, answer.text
    assert "5,005 characters" in answer.json()["error"]


def test_an_upload_with_a_yaml_binary_value_is_a_400_naming_the_field(
    client: TestClient, tmp_path: Path
) -> None:
    """The schema takes !!binary as text, so the check answered a document JSON cannot hold: 500."""
    upload = b"scenario:\n  name: x\n  description: !!binary aGVsbG8=\n"
    answer = client.post("/api/scenarios/check?name=b.yaml", content=upload)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith("b.yaml:3: scenario.description: binary data")
    given = tmp_path / "given.yaml"  # serve -s lists the same document
    given.write_bytes(upload)
    with pytest.raises(InputError, match=r"given.yaml:3: scenario.description: binary"):
        given_list(PARK, [str(given)])


def test_an_unquoted_date_reaches_the_page_as_iso_text() -> None:
    document = {"a": [dt.date(2026, 1, 5)], dt.date(2026, 1, 6): dt.datetime(2026, 1, 6, 10, 30)}
    plain = json_document(document, "x.yaml", {})
    assert plain == {"a": ["2026-01-05"], "2026-01-06": "2026-01-06T10:30:00"}


@settings(max_examples=150, deadline=None)
@given(
    path=st.sampled_from(sorted(GET_PARAMETERS)),
    values=st.dictionaries(
        st.sampled_from(["at", "since", "from", "to", "step_min", "x"]), HOSTILE_TEXT, max_size=3
    ),
)
def test_generated_get_requests_find_no_500(client: TestClient, path: str, values: dict) -> None:
    no_500(client.get(path, params=values))


@settings(max_examples=100, deadline=None)
@given(body=st.one_of(JSON, st.dictionaries(st.sampled_from(["scenarios", "days", "replications"]),
                                            JSON, max_size=3)))  # fmt: skip
def test_generated_what_if_bodies_find_no_500(client: TestClient, body: object) -> None:
    answer = client.post("/api/compare", content=json.dumps(body))
    no_500(answer)
    if answer.status_code == 202:
        client.delete(f"/api/jobs/{answer.json()['job']}")


@settings(max_examples=60, deadline=None)
@given(name=st.one_of(st.none(), HOSTILE_TEXT, st.just("x.yaml")), content=st.binary(max_size=200))
def test_generated_uploads_find_no_500(
    client: TestClient, name: str | None, content: bytes
) -> None:
    params = {} if name is None else {"name": name}
    no_500(client.post("/api/scenarios/check", params=params, content=content))


# --------------------------------------------------------------------------- connections


def _raise_own_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"needs {needed} open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


@contextlib.contextmanager
def serving(folder: Path, files: int) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``parktwin serve`` with a token, under an open-file limit of `files`."""
    port = mosquitto.free_port()
    code = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, "
        f"({files}, {files})); import cli; sys.argv[0] = 'parktwin'; cli.main()"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "demo-small", "--port", str(port),
         "--token", TOKEN],
        cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/health"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            time.sleep(0.2)
        yield url, server
    finally:
        server.terminate()
        server.communicate(timeout=30)


def health(url: str) -> int:
    request = urllib.request.Request(
        url, headers={"Authorization": "Bearer a-long-token-for-tests"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


@pytest.mark.serial
@pytest.mark.system
def test_health_answers_under_1100_idle_connections(tmp_path: Path) -> None:
    _raise_own_file_limit(4096)
    with serving(tmp_path, files=1024) as (url, server):
        assert health(url) == 200
        port = int(url.split(":")[2].split("/")[0])
        crowd = []
        for _ in range(1100):
            idle = socket.create_connection(("127.0.0.1", port))
            idle.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
            crowd.append(idle)
        started = time.monotonic()
        answers = [health(url) for _ in range(5)]
        seconds = time.monotonic() - started
        for idle in crowd:
            idle.close()
        time.sleep(1.0)
        assert health(url) == 200
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert answers == [200] * 5 and seconds < 10, (answers, seconds)
    assert "Too many open files" not in err, err[-2000:]
    assert len(err) < 10_000, err[-2000:]


@pytest.mark.serial
@pytest.mark.system
def test_a_partial_request_is_closed_after_the_header_timeout(tmp_path: Path) -> None:
    from web.guard import HEADER_TIMEOUT_S

    with serving(tmp_path, files=1024) as (url, _):
        port = int(url.split(":")[2].split("/")[0])
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"GET /api/health HTTP/1.1\r\n")
        slow.settimeout(HEADER_TIMEOUT_S + 10)
        started = time.monotonic()
        assert slow.recv(100) == b""  # closed by the server
        waited = time.monotonic() - started
        slow.close()
    assert HEADER_TIMEOUT_S - 1 <= waited <= HEADER_TIMEOUT_S + 5


# --------------------------------------------------------------------------- what-if memory


def test_a_what_if_past_its_memory_cap_fails_saying_so() -> None:
    """A cap below what a worker needs to simulate: the job fails with the cap in its message
    (the default cap lets every other what-if test of the suite run)."""
    jobs = JobManager(PARK, time_limit_s=120, memory_bytes=40 * 1024**2)
    try:
        job = jobs.submit(["peak-season"], ["peak-season"], 1, 2)
        deadline = time.monotonic() + 120
        while job.status not in FINISHED and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        jobs.close()
    assert job.status == "failed", job.to_dict()
    assert "memory cap of 0.0391 GB" in (job.error or ""), job.error


@pytest.mark.parametrize("megabytes", [150, 200, 300])
def test_a_what_if_near_its_memory_cap_ends_either_way_never_hangs(megabytes: int) -> None:
    """Caps around the worker's own size (a cap of address space hung at 200 MB): the job is
    done or fails naming the cap, well within its time limit."""
    jobs = JobManager(PARK, time_limit_s=300, memory_bytes=megabytes * 1024**2)
    started = time.monotonic()
    try:
        job = jobs.submit(["peak-season"], ["peak-season"], 1, 2)
        while job.status not in FINISHED and time.monotonic() - started < 300:
            time.sleep(0.1)
    finally:
        jobs.close()
    assert time.monotonic() - started < 120, job.to_dict()
    assert job.status == "done" or "memory cap of" in (job.error or ""), job.to_dict()
