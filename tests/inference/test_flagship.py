"""The flagship (scenarios/xiaomi_2013q1.toml) fitted to its sparse facts.

examples/xiaomi_2013q1 holds the facts (shared/seed-facts.md section 1 as tolerances) and the
priors of its 9 free parameters. The suite checks that they agree with the scenario; the fit
itself is a benchmark (acceptance: >= 8 free parameters in under 10 minutes on 2 cores).
"""

import time
from pathlib import Path

import numpy as np
import pytest

from sim.experiments.executors import ProcessExecutor
from sim.inference.events import read_facts
from sim.inference.fit import check_inputs, diagnostics, fit
from sim.inference.priors import load_fit_config

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "xiaomi_2013q1.toml"
EXAMPLE = ROOT / "examples" / "xiaomi_2013q1"


def test_the_flagship_s_facts_and_priors_fit_its_scenario() -> None:
    cfg = load_fit_config(EXAMPLE / "priors.toml")
    facts = read_facts(EXAMPLE / "facts.csv")
    assert len(cfg.priors) >= 8
    assert {f.metric for f in facts} >= {"cumulative_follows", "messages", "share_weibo"}
    check_inputs(str(SCENARIO), cfg, None, (), facts)


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
