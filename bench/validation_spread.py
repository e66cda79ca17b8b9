"""How often the held-out queue check flags a correct park, and how often a wrong one.

python bench/validation_spread.py [--paths 120] [--trials 200] [--replications 20]

Simulates ``--paths`` four-day paths of the true yen-binh park of the bundled sample
(``truth.json``, one day of warm-up each) and, for every dock group the sample logs, holds one
path out as "observed" against ``--replications`` others, ``--trials`` times, with
:func:`twin.calibration.spread.ks_against_spread`. Prints, per group and quantity, the share
of trials with p < 0.05 for the new test (the model's own spread of KS D and of the mean), for
its two statistics alone, and for the plain two-sample KS test that takes trucks as independent
(the test the validation used before). Then the same for paths of wrong parks (sevt-p2-docks
with a dock fewer, and with a 20% slower service) judged against the true park's paths: the
share flagged is the test's power on one four-day span.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from twin.calibration.sample import SAMPLE_DAYS, SAMPLE_SEED, YB_FLOWS, yen_binh_truth
from twin.calibration.spread import ks_against_spread
from twin.io.load import load_park
from twin.model.schema import Park
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine

GROUPS = {
    "sevt-p2-docks": ("in-sevt-p2", "out-sevt-p2"),
    "sup-m-docks": ("in-sup-m",),
    "wh-bonded-docks": ("in-wh-bonded", "out-wh-bonded"),
}
OnePath = dict[tuple[str, str], np.ndarray]


def paths(park: Park, count: int, seed: int) -> list[OnePath]:
    """Gate-to-dock times and turnarounds of each group's trucks in `count` four-day runs."""
    out = []
    for rep in range(count):
        trace = run_engine(park, (), RunSpec(4.0, 1.0, 15.0, seed, rep))
        t, flows = trace.trucks, trace.names["flows"]
        one: OnePath = {}
        for group, names in GROUPS.items():
            pick = np.isin(t["flow"], [flows.index(f) for f in names]) & (t["arrive"] >= 0)
            for quantity, end in (("to_dock", "dock_start"), ("turnaround", "exit")):
                x = (t[end] - t["arrive"])[pick]
                one[group, quantity] = x[~np.isnan(x)]
        out.append(one)
    return out


def flag_rates(
    observed: list[OnePath], model: list[OnePath], trials: int, reps: int, rng: np.random.Generator
) -> dict[tuple[str, str], np.ndarray]:
    """Per group and quantity: shares with p < 0.05 (combined, D, mean, plain KS)."""
    rates = {}
    same = observed is model
    for key in next(iter(model)):
        flags = []
        for _ in range(trials):
            pick = rng.choice(len(model), reps + (1 if same else 0), replace=False)
            held = model[pick[0]] if same else observed[rng.integers(len(observed))]
            others = pick[1:] if same else pick
            x = ks_against_spread(held[key], [model[i][key] for i in others])
            flags.append([x.p_value, x.d_p, x.mean_p, x.iid_p])
        rates[key] = (np.array(flags) < 0.05).mean(axis=0)
    return rates


def truth_variant(truth: Park, docks: int | None = None, slower: float = 1.0) -> Park:
    """The true park with sevt-p2-docks changed."""
    data = truth.model_dump(mode="json", by_alias=True, exclude_none=True)
    group = next(g for g in data["logistics"]["dock_groups"] if g["id"] == "sevt-p2-docks")
    if docks is not None:
        group["docks"] = docks
    group["service"]["mean"] *= slower
    group["service"]["sd"] *= slower
    return Park.model_validate(data)


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paths", type=int, default=120)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--replications", type=int, default=20)
    args = parser.parse_args()
    truth, _, _ = yen_binh_truth(load_park("yen-binh"), SAMPLE_DAYS, SAMPLE_SEED)
    assert set(YB_FLOWS) >= {f for names in GROUPS.values() for f in names}
    started = time.perf_counter()
    model = paths(truth, args.paths, seed=1)
    print(f"{args.paths} paths of the true park in {time.perf_counter() - started:.0f} s")
    rng = np.random.default_rng(0)
    print("\nshare of trials flagged at p < 0.05: combined / D alone / mean alone / plain KS")
    print("true park, each path against", args.replications, "others:")
    for (group, quantity), r in flag_rates(
        model, model, args.trials, args.replications, rng
    ).items():
        print(f"  {group:16} {quantity:10} " + " / ".join(f"{100 * v:4.1f}%" for v in r))
    for label, park in (
        ("a dock fewer (7 -> 6)", truth_variant(truth, docks=6)),
        ("service 20% slower", truth_variant(truth, slower=1.2)),
    ):
        wrong = paths(park, max(args.paths // 4, 10), seed=2)
        print(f"sevt-p2-docks {label}, a path against {args.replications} of the true park's:")
        rates = flag_rates(wrong, model, args.trials // 2, args.replications, rng)
        for quantity in ("to_dock", "turnaround"):
            r = rates["sevt-p2-docks", quantity]
            print(f"  {quantity:10} " + " / ".join(f"{100 * v:4.1f}%" for v in r))


if __name__ == "__main__":
    main()
