"""`parktwin optimize`: the selection procedure's guarantee, the problem file's errors, the outputs.

The procedure is checked first on data from a plain numpy generator (not the engine), where the
true means are known and normal: the slippage configuration, with and without common random
numbers, and feasibility. Then through the engine on demo-small, and through the command line.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import cli
from tests.optimize_problems import problem
from twin.api.decisions import optimize
from twin.errors import InputError
from twin.experiment.optimize import decide, optimum_dict
from twin.experiment.search import study_name
from twin.experiment.selection import Selection, h_squared, half_width, run_procedure
from twin.io.problem_file import load_problem

runner = CliRunner()


def normal_sampler(rng, means, cmeans, sd=1.0, rho=0.8, crn=True):
    """Outputs ~ N(mean, sd²), correlation rho between candidates of one replication (CRN)."""

    def sample(who, first, count):
        common = rng.normal(size=count)
        objective, constraints = [], []
        for i in who:
            own = rng.normal(size=count)
            e = (math.sqrt(rho) * common + math.sqrt(1 - rho) * own) if crn else own
            objective.append(means[i] + sd * e)
            constraints.append([cm[i] + sd * rng.normal(size=count) for cm in cmeans])
        return np.array(objective), np.array(constraints).reshape(len(who), len(cmeans), count)

    return sample


def select(seed, means, cmeans=(), eps=0.25, delta=0.5, alpha=0.05, crn=True, n0=10):
    rng = np.random.default_rng(seed)
    selection = Selection(len(means), len(cmeans), [eps] * len(cmeans), delta, alpha, n0)
    outcome = run_procedure(selection, normal_sampler(rng, means, cmeans, crn=crn), 5000)
    assert outcome.complete
    return selection, outcome


def test_the_triangle_constant_is_fabians_bound():
    """h² solves (1/2)(1 + h²/(n0-1))^(-(n0-1)/2) = error: the bound the guarantee rests on."""
    for n0, error in ((10, 0.0125), (20, 0.05 / 4), (5, 0.001)):
        h2 = h_squared(n0, error)
        assert 0.5 * (1 + h2 / (n0 - 1)) ** (-(n0 - 1) / 2) == pytest.approx(error, rel=1e-9)
    assert half_width(0, 4.0, 1.0, 0.5) == 4.0 and half_width(100, 4.0, 1.0, 0.5) == 0.0
    with pytest.raises(ValueError):
        h_squared(1, 0.05)


@pytest.mark.parametrize("crn", [True, False])
def test_slippage_configuration_selects_the_best_at_least_one_minus_alpha(crn):
    """The best beats the rest by exactly δ: the hardest case the guarantee covers."""
    means = [0.0, 0.5, 0.5, 0.5, 0.5]
    trials = 400
    correct = sum(select(s, means, crn=crn)[0].survivors() == [0] for s in range(trials))
    # 95% is promised; the binomial's 3-sigma lower edge at 400 trials is 0.917
    assert correct / trials >= 0.917
    assert correct < trials or crn  # the bound is conservative, but not vacuous without CRN


def test_common_random_numbers_save_replications():
    means = [0.0, 0.5, 0.5, 0.5, 0.5]
    with_crn = sum(sum(select(s, means, crn=True)[1].replications) for s in range(60))
    without = sum(sum(select(s, means, crn=False)[1].replications) for s in range(60))
    assert with_crn < 0.6 * without


def test_feasibility_is_declared_correctly():
    """Constraint means ε or more inside/outside their limits are declared so (prob. ≥ 1 - α)."""
    means = [0.0, 0.5, 1.0, 1.5]
    inside, outside = -0.25, 0.25  # exactly the tolerance from the limit 0
    cmeans = [[outside, inside, inside, inside]]
    trials, right = 300, 0
    for s in range(trials):
        selection, _ = select(s, means, cmeans)
        states = [st.feasible for st in selection.statuses]
        best_ok = selection.survivors() == [1]
        right += best_ok and states[0] is False
    assert right / trials >= 0.90


def test_the_procedure_stops_at_the_cap_and_says_so():
    rng = np.random.default_rng(0)
    selection = Selection(2, 0, [], 0.001, 0.05, 10)
    outcome = run_procedure(selection, normal_sampler(rng, [0.0, 0.0], []), 30)
    assert not outcome.complete and max(outcome.replications) == 30
    assert len(selection.survivors()) == 2


# --------------------------------------------------------------------------- through the engine


def test_optimize_on_demo_small_picks_the_cheapest_feasible_and_certifies_it(tmp_path):
    result = optimize(problem(), out=tmp_path / "opt")
    doc = optimum_dict(result)
    assert doc["certificate"]["complete"] and doc["best"]["feasible"]
    best = doc["best"]["values"]["logistics.dock_groups[id=f2-docks].docks"]
    # the cost each candidate reached, recomputed from its own KPI replications
    means = {c["values"]["logistics.dock_groups[id=f2-docks].docks"]: c for c in doc["candidates"]}
    assert means[best]["status"] == "best"
    for docks, c in means.items():
        wait = c["constraints"][0]["mean"]
        assert c["objective"]["mean"] == pytest.approx(docks * 1e6 + 2e5 * wait, rel=1e-9)
    assert {p.name for p in (tmp_path / "opt").iterdir()} >= {
        "optimum.json", "best.yaml", "report.md", "report.html", "manifest.json",
    }  # fmt: skip
    scenario = yaml.safe_load((tmp_path / "opt" / "best.yaml").read_text(encoding="utf-8"))
    assert scenario["changes"] == [
        {"set": "logistics.dock_groups[id=f2-docks].docks", "value": best}
    ]
    report = (tmp_path / "opt" / "report.md").read_text(encoding="utf-8")
    assert "Kim and Nelson 2001" in report and "## Decisions, in order" in report


def test_the_same_numbers_at_any_jobs():
    one = optimum_dict(optimize(problem(), jobs=1))
    two = optimum_dict(optimize(problem(), jobs=2))
    assert one == two


def test_an_infeasible_problem_says_so_with_the_closest_candidate():
    tight = [{"kpi": "docks.f2-docks.wait_mean_min", "at_most": -20, "tolerance": 5}]
    doc = optimum_dict(optimize(problem(constraints=tight)))
    assert doc["best"]["feasible"] is False and doc["best"]["closest"] is True
    assert all(c["status"] == "infeasible" for c in doc["candidates"])
    assert doc["best"]["values"]["logistics.dock_groups[id=f2-docks].docks"] == 6


@pytest.mark.parametrize(
    ("change", "place", "words"),
    [
        ({"variables": [{"path": "logistics.dock_groups[id=nope].docks", "values": [1]}],
          "costs": [{"kpi": "docks.f2-docks.wait_mean_min", "vnd_per_unit": 1}]},
         "variables", "nope"),
        ({"costs": [{"path": "logistics.gates[id=g1].lanes", "vnd_per_unit": 1}]},
         "costs[0].path", "not the path of a variable"),
        ({"objective": {"minimize": "docks.f2-docks.wait_mean"}}, "objective",
         "did you mean docks.f2-docks.wait_mean_min"),
        ({"variables": [{"path": "logistics.dock_groups[id=f2-docks].docks",
                         "range": {"min": 5, "max": 3}}]}, "variables", "empty range"),
        ({"constraints": [{"kpi": "trucks.wait_mean_min", "at_most": 1},
                          {"kpi": "trucks.wait_mean_min", "at_least": 2}]}, "constraints[0]",
         "cannot both hold"),
        ({"selection": {"indifference": 0}}, "selection.indifference", "greater than 0"),
        ({"selection": {"indifference": -1}}, "selection.indifference", "greater than 0"),
        ({"selection": {"indifference": 1, "confidence": 0.5}}, "selection.confidence",
         "greater than 0.5"),
        ({"selection": {"indifference": 1, "first_stage": 50, "max_replications": 10}},
         "selection", "first_stage 50 is more than max_replications 10"),
        ({"variables": [{"path": "logistics.dock_groups[id=f2-docks].docks",
                         "values": [4, 5, 4]}]}, "variables[0]", "the value 4 is listed twice"),
        ({"variables": [{"name": "bus", "alternatives": [{"label": "a"}, {"label": "b"}]}],
          "costs": [{"path": "bus", "vnd_per_unit": 1}]}, "costs[0].path", "not a number"),
        ({"constraints": [{"kpi": "trucks.wait_mean_min", "at_most": 1e300}]},
         "constraints[0].at_most", "less than or equal to"),
        ({"variables": [{"path": "logistics.flows[id=in-f1].rate_per_hour",
                         "range": {"min": 1, "max": 1 + 1e-11, "step": 1e-13}}]},
         "variables[0].range", "values repeat"),
        ({"settings": {"days": 7, "step_min": 1e-6}}, "settings.step_min of 1e-06",
         "grid steps"),
        ({"settings": {"days": 30, "step_min": 0.01}}, "settings.step_min 0.01 over 31 days",
         "at most 200,000,000"),
    ],
)  # fmt: skip
def test_bad_problems_are_named_errors(tmp_path, change, place, words):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(problem(**change)), encoding="utf-8")
    with pytest.raises(InputError) as err:
        optimize(path)
    assert str(path) in str(err.value) and place in str(err.value) and words in str(err.value)
    result = runner.invoke(cli.app, ["optimize", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("goals", "place"),
    [({"objective": {"minimize": "cost"}}, "costs[1].kpi"),
     ({"objective": None, "objectives": [{"minimize": "cost"},
                                         {"minimize": "docks.f2-docks.wait_mean_min"}]},
      "objectives[1]")],
    ids=["selection", "pareto"],
)  # fmt: skip
def test_a_kpi_with_nothing_to_measure_is_named_not_ranked(tmp_path, goals, place):
    """Two minutes: no truck reaches f2-docks, its wait has no value; no best of NaN costs."""
    doc = {k: v for k, v in problem(**goals).items() if v is not None}
    doc["settings"] = {"days": 0.0015, "warmup_days": 0}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(InputError) as err:
        optimize(path)
    assert "docks.f2-docks.wait_mean_min has no value" in str(err.value)
    assert f"{place}: " in str(err.value) and "lengthen settings.days" in str(err.value)
    result = runner.invoke(cli.app, ["optimize", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and not (tmp_path / "o" / "optimum.json").exists()


def _interrupted_after(calls):
    """A sampler of normal outputs whose call number `calls` is Ctrl-C."""
    made = [0]
    normal = normal_sampler(np.random.default_rng(0), [1.0, 2.0, 3.0], [[-5.0, -5.0, -5.0]])

    def sample(who, first, count):
        made[0] += 1
        if made[0] == calls:
            raise KeyboardInterrupt
        return normal(who, first, count)

    return sample


def test_ctrl_c_in_the_first_stage_decides_nothing_and_keeps_nothing():
    """No candidate has a replication: no "best" with a NaN mean, no best.yaml of a guess."""
    loaded, _ = load_problem(problem())
    with pytest.raises(KeyboardInterrupt):
        decide(loaded, [None] * 3, _interrupted_after(1))


def test_ctrl_c_after_the_first_stage_ranks_by_the_replications_run():
    loaded, _ = load_problem(problem(selection={"indifference": 0.01, "first_stage": 5}))
    opt = decide(loaded, [None] * 3, _interrupted_after(2))
    assert opt.interrupted and not opt.outcome.complete and opt.best == 0
    assert opt.outcome.replications == [5, 5, 5]
    assert np.isfinite(opt.outcome.objective[:, :5]).all()


def test_the_command_line_prints_the_table_and_json(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(problem()), encoding="utf-8")
    result = runner.invoke(cli.app, ["optimize", str(path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["certificate"]["procedure"].startswith("fully sequential selection")
    table = runner.invoke(cli.app, ["optimize", str(path), "--out", str(tmp_path / "o")])
    assert table.exit_code == 0 and "Best: logistics.dock_groups[id=f2-docks].docks" in table.output
    assert Path(tmp_path / "o" / "optimum.json").is_file()


def test_the_bundled_problem_is_valid():
    from twin.io.problem_file import load_problem

    loaded, source = load_problem("customs-bays")
    assert loaded.candidate_count() == 5 and source.endswith("customs-bays.yaml")


def big_problem(trials):
    doc = problem(
        variables=[
            {"path": "logistics.dock_groups[id=f1-docks].docks", "range": {"min": 2, "max": 8}},
            {"path": "logistics.dock_groups[id=f2-docks].docks", "range": {"min": 3, "max": 9}},
            {"path": "logistics.dock_groups[id=w1-docks].docks", "values": [1, 2, 3, 4]},
        ],
        costs=[
            {"path": "logistics.dock_groups[id=f1-docks].docks", "vnd_per_unit": 1_000_000},
            {"path": "logistics.dock_groups[id=f2-docks].docks", "vnd_per_unit": 1_000_000},
            {"path": "logistics.dock_groups[id=w1-docks].docks", "vnd_per_unit": 1_000_000},
            {"kpi": "trucks.wait_mean_min", "vnd_per_unit": 200_000},
        ],
        constraints=[{"kpi": "trucks.wait_mean_min", "at_most": 20, "tolerance": 5}],
        search={"trials": trials, "replications": 2, "finalists": 3},
    )
    doc["settings"]["days"] = 1
    return doc


def test_a_large_space_is_searched_then_the_finalists_selected(tmp_path):
    study = tmp_path / "study.db"
    first = optimize(big_problem(6), study=study)
    doc = optimum_dict(first)
    assert len(doc["candidates"]) <= 3 and "finalists" in doc["notes"][0]
    assert "196 candidates" in doc["notes"][0]
    import optuna

    name = study_name(load_problem(big_problem(6))[0])
    assert name == study_name(load_problem(big_problem(9))[0])  # more trials: the same study

    def finished():
        loaded = optuna.load_study(study_name=name, storage=f"sqlite:///{study}")
        return len([t for t in loaded.trials if t.state.is_finished()])

    assert finished() == 6
    optimize(big_problem(9), study=study)  # resumes: three more trials, not nine
    assert finished() == 9


def test_a_changed_problem_does_not_resume_the_trials_of_another(tmp_path):
    """The same name and study file, other values of a variable: a study of its own (it was
    resumed, and Optuna refused the new values: exit 1)."""
    study = tmp_path / "study.db"
    optimize(big_problem(3), study=study)
    changed = big_problem(3)
    changed["variables"][2]["values"] = [5, 6, 7, 8]
    assert study_name(load_problem(changed)[0]) != study_name(load_problem(big_problem(3))[0])
    doc = optimum_dict(optimize(changed, study=study))
    assert {c["values"]["logistics.dock_groups[id=w1-docks].docks"] for c in doc["candidates"]} <= {
        5,
        6,
        7,
        8,
    }


@pytest.mark.parametrize("kind", ["text", "folder"])
def test_a_study_path_holding_something_else_is_refused_before_any_work(tmp_path, kind):
    out = tmp_path / "out"
    study = tmp_path / "out.study.db"
    if kind == "folder":
        study.mkdir()
    else:
        study.write_text("my notes", encoding="utf-8")
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(big_problem(3)), encoding="utf-8")
    result = runner.invoke(cli.app, ["optimize", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert str(study) in result.output and "not the SQLite study of a search" in result.output
    assert not out.exists() and (study.is_dir() or study.read_text() == "my notes")


def test_ctrl_c_in_a_search_prints_no_traceback(tmp_path, monkeypatch, capfd):
    """Optuna logged the interrupted trial with its traceback before 'interrupted' (exit 130)."""
    import twin.experiment.search as search

    estimates = [0]
    estimate = search._estimate

    def interrupted_second(*args):
        estimates[0] += 1
        if estimates[0] == 2:
            raise KeyboardInterrupt
        return estimate(*args)

    monkeypatch.setattr(search, "_estimate", interrupted_second)
    with pytest.raises(KeyboardInterrupt):
        optimize(big_problem(4), study=tmp_path / "study.db")
    assert "Traceback" not in capfd.readouterr().err


def test_a_large_space_without_a_search_is_refused():
    doc = big_problem(5)
    del doc["search"]
    with pytest.raises(InputError, match="add a `search:` section"):
        optimize(doc)


@pytest.mark.system
def test_ctrl_c_keeps_what_is_decided_and_says_what_is_not(tmp_path):
    """A real SIGINT: exit 130, the folder written as partial, undecided candidates named."""
    import signal
    import subprocess
    import sys
    import time

    doc = problem(selection={"indifference": 1, "max_replications": 5000})  # never decided
    doc["settings"]["days"] = 7
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "out"
    repo = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "optimize", str(path), "--out", str(out)],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(20.0)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    written = json.loads((out / "optimum.json").read_text(encoding="utf-8"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] is False
    assert written["certificate"]["complete"] is False
    assert written["certificate"]["guarantee"].startswith(
        "No guarantee: the procedure was interrupted"
    )
    assert any(c["status"] == "not decided" for c in written["candidates"])
    assert "not decided" in stdout


def test_several_objectives_give_a_pareto_set_with_intervals(tmp_path):
    goals = [{"minimize": "cost"}, {"minimize": "docks.f2-docks.wait_mean_min"}]
    doc = problem(objectives=goals, constraints=[])
    del doc["objective"]
    doc["costs"] = doc["costs"][:1]  # cost: the docks alone
    doc["variables"][0]["values"] = [4, 5, 6, 7]
    result = optimize(doc, out=tmp_path / "p")
    written = json.loads((tmp_path / "p" / "optimum.json").read_text(encoding="utf-8"))
    assert written["best"] is None and written["pareto"]
    # cost rises and the wait falls with every dock: every candidate is a trade-off
    assert [c["status"] for c in written["candidates"]] == ["pareto"] * 4
    waits = [c["objectives"][1]["mean"] for c in written["candidates"]]
    assert waits == sorted(waits, reverse=True)
    for c in written["candidates"]:
        low, high = c["objectives"][1]["ci95"]
        assert low <= c["objectives"][1]["mean"] <= high
    assert sorted(p.name for p in (tmp_path / "p").glob("pareto-*.yaml")) == [
        f"pareto-{n}.yaml" for n in range(1, 5)
    ]
    assert result.front() == [0, 1, 2, 3]


def test_a_dominated_candidate_names_who_dominates_it():
    goals = [{"minimize": "docks.f2-docks.wait_mean_min"}, {"minimize": "trucks.wait_mean_min"}]
    doc = problem(objectives=goals, constraints=[], costs=[])
    del doc["objective"]
    doc["variables"][0]["values"] = [3, 6]
    written = optimum_dict_of(optimize(doc))
    statuses = {c["values"]["logistics.dock_groups[id=f2-docks].docks"]: c for c in written}
    assert statuses[6]["status"] == "pareto"
    assert statuses[3]["status"] == "dominated"
    assert statuses[3]["reason"] == "by candidate 2 (clearly)"


def optimum_dict_of(result):
    from twin.experiment.pareto import decision_dict

    return decision_dict(result)["candidates"]
