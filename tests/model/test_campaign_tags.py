"""Campaign follower tags: leavers split exactly between a campaign's followers and the rest."""

import numpy as np
import pytest

from sim.model.campaign_log import CampaignDay, CampaignLog
from sim.model.campaign_tags import CampaignTags
from sim.model.rng import Streams


def test_leavers_are_split_hypergeometrically_and_every_one_is_recorded() -> None:
    taken = []
    for r in range(400):
        tags = CampaignTags((2, 5, 2), Streams(1, r))
        tags.join("a", 0, 1, 30, 10)
        tags.join("b", 0, 1, 20, 0)
        cohorts = np.zeros((2, 5, 2), np.int64)
        cohorts[0, 1] = (100, 10)
        leaving = np.zeros_like(cohorts)
        leaving[0, 1] = (50, 10)  # every gift-driven fan of the cell leaves
        tags.leave(3, "hazard", cohorts, leaving)
        gone = tags.unfollows()
        a, b = gone["a"].get((1, 3), 0), gone["b"].get((1, 3), 0)
        assert a >= 10 and a - 10 <= 30 and b <= 20
        assert tags.remaining("a") == 40 - a and tags.remaining("b") == 20 - b
        taken.append((a - 10, b))
    mean = np.asarray(taken).mean(axis=0)
    assert mean == pytest.approx((50 * 30 / 100, 50 * 20 / 100), rel=0.05)
    assert tags.follows() == {"a": {1: 40}, "b": {1: 20}}


def test_the_log_keeps_each_day_apart_and_copies_in_order() -> None:
    log = CampaignLog()
    log.at("x", 2).reached += 5
    log.at("x", -1).aware += 3
    frozen = log.frozen()
    assert list(frozen["x"]) == [-1, 2]
    assert frozen["x"][2] == CampaignDay(reached=5)
    log.at("x", 2).reached += 1
    assert frozen["x"][2].reached == 5  # a copy
