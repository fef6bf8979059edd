"""The report's costs section: drawn from costs.csv and summary.json, only when costs exist."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.reports.build import build_report
from sim.reports.costs import COSTS
from tests.reports.test_reports import findings

REPO = Path(__file__).parents[2]
COSTS_FILE = REPO / "scenarios" / "xiaomi_2013q1_costs.toml"


@pytest.fixture(scope="module")
def priced_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("priced")
    assert main(["run", str(COSTS_FILE), "--out", str(out), "-q"]) == 0
    return out


def _rows(folder: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((folder / "costs.csv").read_text(encoding="utf-8"))))


def test_costs_section_states_totals_per_retained_fan_and_sms(priced_run: Path) -> None:
    report = build_report(priced_run, priced_run / "report.html", sections=[COSTS])
    assert [p.name for p in report.figures] == ["costs.png", "costs.svg"]
    lines = findings(report.path)
    rows = _rows(priced_run)
    total = sum(float(r["amount"]) for r in rows if r["kind"] == "cost")
    assert any(line.startswith(f"info: Costs: {total:,.0f} RMB over the run") for line in lines)
    weibo = sum(float(r["amount"]) for r in rows if r["source"] == "weibo")
    assert weibo > 0
    per = next(line for line in lines if "Acquisition cost per retained fan" in line)
    assert "weibo" in per and "campaign" in per
    sms = sum(float(r["amount"]) for r in rows if r["kind"] == "avoided")
    assert any(f"SMS avoided by WeChat messages: {sms:,.0f} RMB" in line for line in lines)


def test_the_section_is_drawn_from_the_files(priced_run: Path, tmp_path: Path) -> None:
    rows = _rows(priced_run)
    for r in rows:
        if r["item"] == "agent_hours":
            r["amount"] = str(float(r["amount"]) + 1_000_000)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    run = tmp_path / "run"
    run.mkdir()
    (run / "costs.csv").write_text(buf.getvalue(), encoding="utf-8")
    (run / "summary.json").write_bytes((priced_run / "summary.json").read_bytes())
    before = next(line for line in findings(build_report(priced_run, tmp_path / "a.html",
                  sections=[COSTS]).path) if "Costs:" in line)  # fmt: skip
    after = next(
        line for line in findings(build_report(run, sections=[COSTS]).path) if "Costs:" in line
    )
    assert before != after
    total = sum(float(r["amount"]) for r in rows if r["kind"] == "cost")
    assert f"{total:,.0f} RMB" in after


def test_a_run_without_costs_skips_the_section_with_a_note(tmp_path: Path) -> None:
    out = tmp_path / "plain"
    scenario = REPO / "scenarios" / "xiaomi_service_2013.toml"
    assert main(["run", str(scenario), "--out", str(out), "-q"]) == 0
    assert not (out / "costs.csv").exists()
    report = build_report(out, sections=[COSTS])
    assert any("needs costs.csv" in s for s in report.skipped)
