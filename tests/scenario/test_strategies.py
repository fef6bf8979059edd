"""The shipped channel strategies load and spend the same nominal budget (84 units a week).

Nominal unit costs (assumed until the cost model of issue 12): Weibo post 1, campaign post 4,
10% of store orders prompted 4, +50,000 forum or site visitors a day 4, +0.01 referrals per
active fan per day 8.
"""

from pathlib import Path

import pytest

from sim.scenario.load import load_scenario
from sim.scenario.timeline import resolve_timeline

ROOT = Path(__file__).parents[2]
BASE = load_scenario(ROOT / "scenarios" / "xiaomi_2013q1.toml")
FILES = sorted((ROOT / "scenarios" / "strategies").glob("*.toml"))


def weekly_units(path: Path) -> float:
    march = resolve_timeline(load_scenario(path)).days[-1].channels  # the plan in force from March
    base = resolve_timeline(BASE).days[0].channels
    visitors = sum(
        march[c].exposure.visitors_per_day - base[c].exposure.visitors_per_day  # type: ignore[union-attr]
        for c in ("forum", "site")
    )
    referrals = march["word_of_mouth"].exposure.per_active_fan_per_day  # type: ignore[union-attr]
    base_referrals = base["word_of_mouth"].exposure.per_active_fan_per_day  # type: ignore[union-attr]
    return (
        march["weibo"].exposure.posts_per_week  # type: ignore[union-attr]
        + 4 * march["campaigns"].exposure.posts_per_week  # type: ignore[union-attr]
        + 40 * march["store"].exposure.prompt_share  # type: ignore[union-attr]
        + 4 * visitors / 50_000
        + 8 * (referrals - base_referrals) / 0.01
    )


def test_three_strategies_are_shipped() -> None:
    assert [p.stem for p in FILES] == ["fission_heavy", "store_forum_first", "weibo_first"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_strategy_spends_the_base_plans_budget(path: Path) -> None:
    assert weekly_units(path) == pytest.approx(84.0)
    assert weekly_units(ROOT / "scenarios" / "xiaomi_2013q1.toml") == pytest.approx(84.0)
