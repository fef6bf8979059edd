"""The activation sequence: hazard factors by cohort age, and replies from new fans."""

from typing import Any

import numpy as np
import pytest

from sim.model import RunSpec, run_one
from sim.model.activation import activation_reply_means, age_factors
from sim.scenario.spread import ActivationSpec
from tests.factories import growth_scenario


def with_activation(activation: dict[str, Any] | None) -> Any:
    sc = growth_scenario(days=14, followers={"unfollow_per_day": 0.02})
    if activation is None:
        return sc
    return sc.model_copy(update={"activation": ActivationSpec.model_validate(activation)})


def test_default_steps_are_the_playbook_s_and_multiply_by_age() -> None:
    spec = ActivationSpec(reply_class="keyword")
    assert [s.after_hours for s in spec.steps] == [0, 1, 12, 48]
    f = age_factors(spec)
    assert f[0] == pytest.approx(0.9)
    assert f[1] == pytest.approx(0.9 * 0.95 * 0.95)
    assert f[2] == pytest.approx(0.9 * 0.95 * 0.95 * 0.9)
    assert f.size == 7


def test_replies_integrate_to_follows_times_the_reply_rates() -> None:
    spec = ActivationSpec(reply_class="keyword")
    means = activation_reply_means(spec, 1000, 0.0, 15.0, 96 * 5)
    assert means.sum() == pytest.approx(1000 * (0.05 + 0.02 + 0.02 + 0.03), rel=1e-6)


def test_activation_keeps_new_fans_and_brings_their_replies() -> None:
    keep = {
        "reply_class": "keyword",
        "steps": [{"name": "intro", "after_hours": 0, "reply_rate": 0.5, "unfollow_factor": 0.2}],
    }
    plain = run_one(RunSpec(with_activation(None), 6))
    active = run_one(RunSpec(with_activation(keep), 6))
    assert plain.followers is not None and active.followers is not None
    assert active.followers.unfollows.sum() < plain.followers.unfollows.sum()
    kw = plain.class_names.index("keyword")
    extra = active.received[:, kw].sum() - plain.received[:, kw].sum()
    # replies to every new fan (those of the last day partly fall past the horizon)
    expected = 0.5 * active.followers.follows[:-1].sum()
    assert extra == pytest.approx(expected, rel=0.1)
    assert np.all(active.followers.fans >= 0)
