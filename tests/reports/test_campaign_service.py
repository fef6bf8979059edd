"""The report says, campaign by campaign, whether the agents kept up; no server, no server page."""

from __future__ import annotations

import json
from pathlib import Path

from sim.cli import main
from sim.reports.campaign_service import campaign_findings
from tests.results.test_service_periods import TOML


def test_the_report_names_the_campaign_and_its_figure_and_draws_no_server(tmp_path: Path) -> None:
    path = tmp_path / "planner.toml"
    path.write_text(TOML)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "-q", "--report"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    live = json.loads((out / "summary.json").read_text())["service_by_campaign"]["spring"]["live"]
    assert "Campaign spring, live hours (2021-03-03 10:00 – 2021-03-05 18:00, 24 h)" in html
    assert f"{live['sla_first_response_met']:.1%} of {live['messages_to_agents']:,}" in html
    assert "the agents did not keep up" in html and "short by" in html
    # surge.csv is there (a campaign), but without [server] there is nothing of a server to draw
    assert (out / "surge.csv").is_file()
    assert "Campaign surges" not in html and "surge_1" not in html
    assert not list((out / "report_figures").glob("surge_*"))
    assert html.count('id="not-shown"') == 1
    # the defaults the answer rests on, beside it
    assumed = html[html.index('id="assumptions"') : html.index("</section>")]
    assert "campaigns.spring.burst.first_share = 0.5: 50% of each day" in assumed


def test_a_campaign_that_was_kept_up_with_is_met() -> None:
    summary = {
        "sla_first_response_target_minutes": 15,
        "service_by_campaign": {
            "quiz": {
                "days": {"sla_first_response_met": 0.93},
                "live": {
                    "from": "2013-04-09T14:00",
                    "to": "2013-04-09T16:00",
                    "hours": 2.0,
                    "sla_first_response_met": 0.95,
                    "messages_to_agents": 1200,
                    "response_p90_minutes": 12.0,
                    "messages_abandoned": 3,
                    "backlog_max": 40,
                },
            }
        },
    }
    (finding,) = campaign_findings(summary, 0.9)
    assert finding.verdict == "met"
    assert finding.text.startswith("Campaign quiz, live hours (2013-04-09 14:00 – 16:00, 2 h)")
    assert "95.0% of 1,200" in finding.text and "met by 5.0 points" in finding.text
    assert "3.0 min under the target" in finding.text and "93.0%" in finding.text
