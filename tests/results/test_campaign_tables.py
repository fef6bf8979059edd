"""campaigns.csv and the summary's `campaigns`, recomputed from the run's records."""

import csv
import io
from typing import Any

import pytest

from sim.model import RunSpec, run_one
from sim.model.engine import ModelResult
from sim.results.campaign_tables import NET_DAYS, campaign_rows
from sim.results.summary import daily_rows, hourly_rows, summarize
from sim.results.writers import run_files
from sim.scenario.response import ReachSpec
from tests.factories import growth_scenario

LOTTERY: dict[str, Any] = {
    "type": "repost_lottery",
    "start": "2013-01-05T14:00:00",
    "end": "2013-01-07T15:00:00",
    "message_class": "keyword",
    "prizes": 30,
    "prize_value": 100.0,
    "gift_share": 0.5,
    "new_fans_per_participant": 0.05,
    "promotion": {"pushes": 1, "posts": 2, "reach_per_post": 5_000},
    "warmup": {"days": 6, "reach_per_day": 3_000},
    "cascade": {
        "kind": "repost",
        "share_probability": 0.2,
        "contacts_mean": 8,
        "join_probability": 0.1,
        "follow_probability": 0.8,
        "max_days": 5,
    },
}


@pytest.fixture(scope="module")
def result() -> ModelResult:
    sc = growth_scenario(
        days=31,
        initial=20_000,
        campaigns={"lottery": LOTTERY},
        followers={"unfollow_per_day": 0.01, "unanswered_unfollow": 0.3},
    )
    sc = sc.model_copy(update={"reach": ReachSpec(wechat_pool=300_000)})
    return run_one(RunSpec(sc, 17))


def test_rows_equal_what_the_records_say(result: ModelResult) -> None:
    rows = [r for r in campaign_rows(result) if r["row"] == "day"]
    assert result.followers is not None
    follows = result.followers.campaign_follows["lottery"]
    gone = result.followers.campaign_unfollows["lottery"]
    log = result.campaign_days["lottery"]
    last = 30
    assert [r["day"] for r in rows] == sorted(set(log) | set(follows))
    for r in rows:
        rec = log.get(r["day"])
        assert r["reached"] == (rec.reached if rec else 0)
        assert r["participants"] == (rec.participants if rec else 0)
        assert r["shares"] == (rec.shares if rec else 0)
        n = follows.get(r["day"], 0)
        assert r["follows"] == n
        for k in NET_DAYS:
            left = sum(v for (f, u), v in gone.items() if f == r["day"] and u <= r["day"] + k)
            want = None if r["day"] + k > last else n - left
            assert r[f"net_follows_{k}d"] == want
    # participants over the days: fans, newcomers and arrivals, plus the cascade's joiners
    joined = sum(c.participants - c.seeds for c in result.cascades)
    assert sum(r["participants"] for r in rows) == sum(result.participants.values()) + joined
    assert sum(r["prizes"] for r in rows) == 30


def test_net_follows_account_for_every_unfollow_of_the_campaign_s_followers(
    result: ModelResult,
) -> None:
    s = summarize(result)
    row = s["campaigns"]["lottery"]
    # the campaign is the only source labelled `campaign`: its tagged followers are that source
    assert row["follows"] == s["follows_by_source"]["campaign"]
    assert row["still_following"] == s["fans_by_source"]["campaign"]
    assert result.followers is not None
    gone = result.followers.campaign_unfollows["lottery"]
    assert row["unfollows"] == sum(gone.values()) > 0
    within = sum(v for (f, u), v in gone.items() if u - f <= 14)
    assert row["net_follows_14d"] == row["follows"] - within
    assert row["net_follows_14d"] < row["follows"]  # gift-driven followers leave
    assert row["cost"] == 30 * 100.0
    assert row["cost_per_net_follow"] == pytest.approx(3000 / row["net_follows_14d"])
    # every day's campaign unfollows are among the account's unfollows that day
    by_day: dict[int, int] = {}
    for (_, u), v in gone.items():
        by_day[u] = by_day.get(u, 0) + v
    for day, n in by_day.items():
        assert n <= result.followers.unfollows[day]


def test_campaigns_csv_is_written_with_provenance_and_reads_back(result: ModelResult) -> None:
    s = summarize(result)
    hourly = hourly_rows(result)
    rows = campaign_rows(result)
    files = run_files(s, hourly, {}, daily_rows(result, hourly), campaigns=rows)
    back = list(csv.DictReader(io.StringIO(files["campaigns.csv"])))
    assert len(back) == len(rows)
    assert list(back[0])[:4] == ["scenario", "seed", "replication", "params_hash"]
    assert {r["params_hash"] for r in back} == {s["params_hash"]}
    (total,) = [r for r in back if r["row"] == "total"]
    assert int(total["follows"]) == s["campaigns"]["lottery"]["follows"]
    assert int(total["net_follows_14d"]) == s["campaigns"]["lottery"]["net_follows_14d"]


def test_the_same_seed_gives_the_same_campaign_table(result: ModelResult) -> None:
    again = run_one(result.spec)
    assert campaign_rows(again) == campaign_rows(result)
