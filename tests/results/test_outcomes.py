import math

from sim.results.outcomes import dated, share
from sim.scenario.timeline import resolve_timeline
from tests.factories import queue_scenario


def test_share_is_nan_without_a_known_outcome() -> None:
    assert share(3, 4) == 0.75
    assert math.isnan(share(0, 0))


def test_dated_values_are_one_number_or_their_steps() -> None:
    tl = resolve_timeline(queue_scenario(days=3))
    assert dated([5.0, 5.0, 5.0], tl) == 5.0
    assert dated([5.0, 5.0, 2.0], tl) == [
        {"from": "2013-04-10", "minutes": 5.0},
        {"from": "2013-04-12", "minutes": 2.0},
    ]
