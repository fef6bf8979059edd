"""The report's service-by-channel section, drawn from channels_service.csv."""

from __future__ import annotations

from pathlib import Path

from sim.cli.main import main
from sim.reports import build_report
from tests.reports.test_reports import edit_csv, findings

NEWMEDIA = Path(__file__).parents[2] / "scenarios" / "xiaomi_newmedia_2013.toml"

CSV = """\
scenario,seed,replication,params_hash,channel,platform,first_response_target_minutes,\
resolution_target_minutes,received_per_day,replies_per_day,sla_first_response_met,\
sla_resolution_met
s,1,0,abc,wechat,wechat,15.0,30.0,30000,29900,0.97,0.95
s,1,0,abc,weibo,weibo,20.0,40.0,5000,4800,0.80,0.75
s,1,0,abc,forum,forum,,,100,0,,
"""


def test_each_channel_is_judged_against_the_sla_share(tmp_path: Path) -> None:
    (tmp_path / "channels_service.csv").write_text(CSV, encoding="utf-8")
    report = build_report(tmp_path)
    lines = findings(report.path)
    assert lines[0].startswith("met: wechat: 30,000 messages a day, 29,900 replies; first "
                               "response within 15 min: 97.0% (met by 7.0 points)")  # fmt: skip
    assert (
        lines[1].startswith("missed: weibo: 5,000 messages a day") and "20 min: 80.0%" in lines[1]
    )
    assert lines[2] == (
        "info: forum: 100 messages a day, 0 replies; first response within its dated targets: "
        "no message was routed to agents."
    )
    figure = tmp_path / "report_figures" / "channels.svg"
    first = figure.read_bytes()
    edit_csv(tmp_path / "channels_service.csv", 2, "sla_first_response_met", "0.95")
    build_report(tmp_path)
    assert figure.read_bytes() != first
    assert findings(report.path)[1].startswith("met: weibo")


def test_a_run_with_channels_gets_the_section(tmp_path: Path) -> None:
    args = ["run", str(NEWMEDIA), "--out", str(tmp_path), "-q", "--report"]
    assert main([*args, "--set", "scenario.end=2013-04-15"]) == 0
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Service by channel" in text and "needs channels_service.csv" not in text
    assert any(line.split(": ")[1] == "weibo" for line in findings(tmp_path / "report.html"))
