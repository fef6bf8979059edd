"""One reach pool per platform: what is fresh on a day, the memory window, fatigue."""

import pytest

from sim.model.reach import ReachPools
from sim.scenario.response import ReachSpec


def test_reached_people_are_tired_within_the_memory_window_then_fresh_again() -> None:
    pools = ReachPools(ReachSpec(weibo_pool=1000, memory_days=5))
    pools.take("weibo", 0, 300)
    pools.take("weibo", 2, 100)
    assert pools.fresh("weibo", 2) == 600
    assert pools.fresh("weibo", 4) == 600
    assert pools.fresh("weibo", 5) == 900  # day 0's reach is past the window
    assert pools.fresh("weibo", 7) == 1000
    assert pools.fresh("wechat", 2) == ReachSpec().wechat_pool  # platforms are apart


def test_fatigue_is_the_share_of_the_recently_reached_out_of_reach() -> None:
    pools = ReachPools(ReachSpec(wechat_pool=1000, fatigue=0.25))
    pools.take("wechat", -3, 400)  # a warm-up before the run
    assert pools.fresh("wechat", 0) == pytest.approx(900)
    assert pools.recent("wechat", 0) == 400
