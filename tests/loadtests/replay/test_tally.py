"""The harness's own running figures: outcomes, drops, causes, stale connections, CSV rows."""

from __future__ import annotations

import csv
from pathlib import Path

from loadtests.replay.tally import Tally
from loadtests.wechat.delivery import AFTER_RETRY, Attempt, Delivered


def test_counts_and_csv(tmp_path: Path) -> None:
    t = Tally()
    t.dropped("generator_behind")
    t.dropped("pool_full")
    failed = Attempt(1, 0.0, 5.0, 0, False, 0.0, "timeout", 2)
    answered = Attempt(2, 5.0, 0.01, 200, True)
    t.delivered(Delivered((failed, answered), AFTER_RETRY), delay=0.004)
    rows = {(f, k): v for f, k, v in t.rows()}
    assert rows[("outcome", "dropped")] == 2 and rows[("outcome", AFTER_RETRY)] == 1
    assert rows[("dropped", "pool_full")] == 1 and rows[("failure_cause", "timeout")] == 1
    assert rows[("deliveries", "")] == 2 and rows[("stale_connections", "")] == 2
    assert rows[("generator_delay_max_ms", "")] == 4.0
    t.write(tmp_path / "s.csv")
    with (tmp_path / "s.csv").open(encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == len(rows)
