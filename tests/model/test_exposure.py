import pytest
from pydantic import TypeAdapter

from sim.model.exposure import exposures_per_day
from sim.scenario.schema import ExposureSpec

ADAPTER: TypeAdapter[ExposureSpec] = TypeAdapter(ExposureSpec)


@pytest.mark.parametrize(
    ("table", "active", "expected"),
    [
        ({"kind": "posts", "posts_per_week": 14, "reach_per_post": 500}, 9e9, 1000.0),
        ({"kind": "orders", "orders_per_day": 2000, "prompt_share": 0.25}, 9e9, 500.0),
        ({"kind": "visitors", "visitors_per_day": 300}, 9e9, 300.0),
        ({"kind": "referrals", "per_active_fan_per_day": 0.5}, 4000.0, 2000.0),
    ],
)
def test_only_word_of_mouth_grows_with_the_active_fans(
    table: dict[str, object], active: float, expected: float
) -> None:
    assert exposures_per_day(ADAPTER.validate_python(table), active) == pytest.approx(expected)
