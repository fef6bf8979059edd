"""The flagship (scenarios/xiaomi_2013q1.toml) fitted to its sparse facts.

examples/xiaomi_2013q1 holds the facts (shared/seed-facts.md section 1 as tolerances) and the
priors of its 9 free parameters. The suite checks that they agree with the scenario; the fit
itself is a benchmark (acceptance: >= 8 free parameters in under 10 minutes on 2 cores).
"""

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.experiments.executors import ProcessExecutor
from sim.inference.distance import Observed
from sim.inference.events import read_facts
from sim.inference.fit import check_inputs, diagnostics, fit
from sim.inference.priors import load_fit_config
from sim.inference.simulator import Simulator
from sim.scenario import load_scenario

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "xiaomi_2013q1.toml"
EXAMPLE = ROOT / "examples" / "xiaomi_2013q1"


@pytest.mark.xfail(
    reason="open: since the flagship's March phase re-fits the channels' conversions (issue 23, "
    "audiences), the example's priors free fields that phase also sets; they need re-targeting "
    "and the fit re-running",
    strict=False,
)
def test_the_flagship_s_facts_and_priors_fit_its_scenario() -> None:
    cfg = load_fit_config(EXAMPLE / "priors.toml")
    facts = read_facts(EXAMPLE / "facts.csv")
    assert len(cfg.priors) >= 8
    assert {f.metric for f in facts} >= {"cumulative_follows", "messages", "share_weibo"}
    check_inputs(str(SCENARIO), cfg, None, (), facts)


def test_the_shipped_fit_sets_identified_parameters_and_meets_the_facts() -> None:
    """`fitted.toml` sets the identified parameters, inside their priors; it meets the facts."""
    diag = json.loads((EXAMPLE / "diagnostics.json").read_text())
    priors = {p.path: p for p in load_fit_config(EXAMPLE / "priors.toml").priors}
    text = (EXAMPLE / "fitted.toml").read_text()
    set_here = {line.split(" = ")[0] for line in text.splitlines() if " = " in line} - {"extends"}
    assert set_here == {k for k, q in diag["parameters"].items() if q["identified"]}
    assert len(set_here) >= 5
    scenario = load_scenario(EXAMPLE / "fitted.toml")
    for path in set_here:
        table: Any = scenario.model_dump()
        for part in path.split("."):
            table = table[part]
        assert priors[path].low <= table <= priors[path].high, path
    traj = Simulator(str(EXAMPLE / "fitted.toml"), (), whole=True).simulate((), 1)
    for fact in read_facts(EXAMPLE / "facts.csv"):
        got = Observed(scenario.scenario.start, None, (fact,)).stats(traj)[0]
        assert abs(got - fact.value) <= fact.tolerance, (fact, got)


@pytest.mark.benchmark
def test_flagship_fit_under_10_minutes_on_2_cores() -> None:
    cfg = load_fit_config(EXAMPLE / "priors.toml")
    facts = read_facts(EXAMPLE / "facts.csv")
    began = time.monotonic()
    with ProcessExecutor(2) as ex:
        result = fit(str(SCENARIO), cfg, None, 1, ex, facts=facts)
    took = time.monotonic() - began
    diag = diagnostics(result)
    assert took < 600, f"{took:.0f} s"
    assert len(diag["parameters"]) >= 8
    # posterior predictive: the fans at the quarter's end land within the fact's tolerance
    draws = result.posterior.draws(10, "check")
    ends = [
        result.simulator.simulate(tuple(map(float, v)), 7 + i).fans[-1] for i, v in enumerate(draws)
    ]
    assert abs(np.median(ends) - 800_000) <= 80_000, ends
