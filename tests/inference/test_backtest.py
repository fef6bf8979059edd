import math
from typing import Any

import pytest

from sim.inference.backtest import summary_rows


def _row(method: str, event: str, crps: float) -> dict[str, Any]:
    row: dict[str, Any] = {"origin": "2025-03-01", "metric": "event_shares", "method": method}
    row.update(event=event, crps=crps, mdape=10.0, cover50=math.nan)
    return row | {"cover80": math.nan, "cover95": math.nan}


def test_skill_compares_only_the_events_every_method_scored() -> None:
    # the first event had no past figure: no baseline row; the model scored it badly
    rows = [_row("model", "line 2", 500.0), _row("model", "line 3", 10.0)]
    rows += [_row("previous_event", "line 3", 20.0), _row("past_mean", "line 3", 40.0)]
    summary = {r["method"]: r for r in summary_rows(rows)}
    assert summary["model"]["n"] == 2 and summary["previous_event"]["n"] == 1
    assert summary["model"]["crps"] == pytest.approx(255.0)  # its own mean, both events
    assert summary["model"]["n_compared"] == 1
    assert summary["model"]["crps_skill_vs_best_naive"] == pytest.approx(0.5)  # 1 - 10/20
    assert summary["past_mean"]["crps_skill_vs_best_naive"] == pytest.approx(-1.0)


def test_rolling_origins_are_compared_origin_by_origin() -> None:
    scored = (("a", "model", 3.0), ("b", "model", 1.0), ("a", "last_value", 4.0))
    rows = [
        {"origin": o, "metric": "follows", "method": m, "crps": c, "mdape": 1.0}
        | {"cover50": math.nan, "cover80": math.nan, "cover95": math.nan}
        for o, m, c in (*scored, ("b", "last_value", 4.0))
    ]
    (model, _) = summary_rows(rows)
    assert model["n"] == 2 and model["n_compared"] == 2
    assert model["crps_skill_vs_best_naive"] == pytest.approx(0.5)
