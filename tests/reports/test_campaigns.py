"""The report's campaigns section: drawn from campaigns.csv, one sentence per campaign."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.reports.build import build_report
from sim.reports.campaigns import CAMPAIGNS
from tests.reports.test_reports import findings

LOTTERY = Path(__file__).parents[2] / "scenarios" / "weibo_repost_lottery_2013.toml"


@pytest.fixture(scope="module")
def lottery_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lottery")
    assert main(["run", str(LOTTERY), "--out", str(out), "-q"]) == 0
    return out


def test_the_section_states_each_campaign_s_totals_from_the_file(lottery_run: Path) -> None:
    text = (lottery_run / "campaigns.csv").read_text(encoding="utf-8")
    (total,) = [r for r in csv.DictReader(io.StringIO(text)) if r["row"] == "total"]
    report = build_report(lottery_run, lottery_run / "report.html", sections=[CAMPAIGNS])
    assert [p.name for p in report.figures] == ["campaigns.png", "campaigns.svg"]
    (line,) = [x for x in findings(report.path) if "Campaign lottery" in x]
    assert f"{int(total['follows']):,} follows" in line
    assert f"{int(total['net_follows_14d']):,} after 14" in line
    assert f"{int(total['shares']):,} shares" in line
