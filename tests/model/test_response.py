"""The response to a campaign's levers: awareness, take-up and the prizes' lift."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.response import levers
from sim.scenario.response import PromotionSpec, ResponseSpec
from sim.scenario.schema import CampaignSpec

BASE = {
    "type": "live_quiz",
    "start": "2013-01-05T14:00:00",
    "end": "2013-01-05T15:00:00",
    "message_class": "keyword",
}


def campaign(**changes: object) -> CampaignSpec:
    return CampaignSpec.model_validate({**BASE, **changes})


def test_the_equations_of_the_docstring() -> None:
    r = ResponseSpec()
    c = campaign(prizes=10, prize_value=200.0, promotion={"pushes": 1, "posts": 2})
    lev = levers(c, r, 10_000)
    a = 1 - 0.7 * 0.6 * 0.95**2
    assert lev.awareness == pytest.approx(a)
    base = 0.3 * 10_000  # as if every active fan knew
    g = 1 - math.exp(-(10 * 200 / base) / 1.0)
    assert lev.incentive == pytest.approx(g)
    assert lev.participation == pytest.approx(0.3 * a * (1 + g))
    assert lev.outsider_take_up == pytest.approx(0.02 * (1 + g))
    assert lev.share_probability(0.2) == pytest.approx(0.2 * (1 + g))
    assert lev.share_probability(0.99) == 1.0  # capped


def test_without_prizes_nothing_is_lifted_and_a_typed_participation_overrides() -> None:
    r = ResponseSpec()
    assert levers(campaign(prizes=50), r, 1000).incentive == 0.0  # prizes worth nothing
    typed = levers(campaign(participation=0.45, prizes=12, prize_value=2000.0), r, 400_000)
    assert typed.participation == 0.45
    assert typed.baseline == pytest.approx(0.45 * 400_000)
    assert typed.incentive > 0  # prizes still lift outsiders and sharing


@settings(max_examples=200, deadline=None)
@given(
    prizes=st.integers(0, 2000),
    value=st.floats(0, 5000),
    more_value=st.floats(0, 5000),
    pushes=st.integers(0, 5),
    more_pushes=st.integers(0, 5),
    posts=st.integers(0, 20),
    more_posts=st.integers(0, 20),
    active=st.floats(0, 1e7),
)
def test_more_prize_value_or_promotion_never_lowers_expected_turnout(
    prizes: int,
    value: float,
    more_value: float,
    pushes: int,
    more_pushes: int,
    posts: int,
    more_posts: int,
    active: float,
) -> None:
    r = ResponseSpec()

    def turnout(v: float, pu: int, po: int) -> tuple[float, float, float]:
        c = campaign(prizes=prizes, prize_value=v, promotion=PromotionSpec(pushes=pu, posts=po))
        lev = levers(c, r, active)
        return lev.participation * active, lev.outsider_take_up, lev.share_probability(0.1)

    low = turnout(value, pushes, posts)
    high = turnout(value + more_value, pushes + more_pushes, posts + more_posts)
    assert all(h >= x - 1e-9 * max(1.0, x) for h, x in zip(high, low, strict=True))
