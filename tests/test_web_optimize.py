"""``POST /api/optimize``: a decision problem on the served park, as a job like a what-if."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from tests.optimize_problems import problem
from tests.web_helpers import wait_for_job as wait_for
from twin.api.decisions import optimize
from twin.experiment.optimize import optimum_dict
from twin.io.load import load_park


def test_a_decision_runs_as_a_job_and_gives_the_librarys_answer(client: TestClient) -> None:
    doc = problem()
    del doc["base"]  # the served park is the base
    answer = client.post("/api/optimize", json={"problem": doc})
    assert answer.status_code == 202, answer.text
    job = wait_for(client, answer.json()["job"], timeout=300)
    assert job["status"] == "done", job.get("error")
    assert job["problem"] == "f2-docks" and job["progress"] == 1.0
    expected = optimum_dict(optimize(doc, park=load_park("demo-small")))
    assert job["optimum"] == json.loads(json.dumps(expected))


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"problem": "x"}, "problem: expected a decision-problem document"),
        ({"problem": problem(), "extra": 1}, "extra: unknown field"),
        ({"problem": problem(objective={"minimize": "nope.kpi"})}, "objective: unknown KPI"),
        ({"problem": problem(selection={"indifference": 0})}, "selection.indifference"),
        ({"problem": problem(variables=[{"path": "logistics.gates[id=zz].lanes", "values": [1]}],
                             costs=[{"kpi": "trucks.wait_mean_min", "vnd_per_unit": 1}])},
         "variables: "),
    ],
)  # fmt: skip
def test_bad_problems_are_400_naming_the_field(client: TestClient, body, words) -> None:
    answer = client.post("/api/optimize", json=body)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["error"]
