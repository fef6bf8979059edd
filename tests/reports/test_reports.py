"""Reports drawn from a run folder's own files: loading, folding, fonts, sections, the CLI."""

from __future__ import annotations

import html
import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from matplotlib.ft2font import FT2Font

from sim.cli.main import main
from sim.errors import ScenarioError
from sim.reports import build_report
from sim.reports.fonts import CJK_PROBE, find_cjk_font, rc_params
from sim.reports.messages import MESSAGES
from sim.reports.page import _headline
from sim.reports.periods import per_day
from sim.reports.plotting import FigureOut, export, new_figure, style
from sim.reports.replications import running_ci
from sim.reports.run_folder import RunFolder, Table
from sim.reports.section import Finding
from sim.reports.service import target_minutes
from sim.reports.surge import server_capacity, windows
from sim.reports.sweep import grid_columns
from tests.loadtest_records import write_records

REPO = Path(__file__).parents[2]
SERVICE_DAY = REPO / "scenarios" / "xiaomi_service_2013.toml"


@pytest.fixture(scope="module")
def service_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("service_day")
    assert main(["run", str(SERVICE_DAY), "--out", str(out), "-q"]) == 0
    return out


def copy_of(folder: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "run"
    shutil.copytree(folder, dest)
    return dest


# --- loading -----------------------------------------------------------------------------------


def test_table_reads_numbers_text_and_empty_cells() -> None:
    t = Table.parse("x.csv", "hour,backlog,p90\n2013-04-10T00:00,3,\n2013-04-10T01:00,4,2.5\n")
    assert t.rows == 2
    assert t.num("backlog").tolist() == [3.0, 4.0]
    assert np.isnan(t.num("p90")[0]) and t.num("p90")[1] == 2.5
    assert t.times("hour")[1] == np.datetime64("2013-04-10T01:00")


def test_table_groups_rows_by_label_in_order_of_appearance() -> None:
    t = Table.parse("x.csv", "k,row\nb,day\na,day\nb,total\nb,day\n")
    got = [(k, rows.tolist()) for k, rows in t.groups(t.text("k"))]
    assert got == [("b", [0, 2, 3]), ("a", [1])]
    days = t.groups(t.text("k"), np.asarray(t.text("row")) == "day")
    assert [(k, rows.tolist()) for k, rows in days] == [("b", [0, 3]), ("a", [1])]


def test_table_errors_name_the_file_the_column_and_the_value() -> None:
    with pytest.raises(ScenarioError, match=r"x\.csv:3: must have 2 cells"):
        Table.parse("x.csv", "a,b\n1,2\n3\n")
    t = Table.parse("x.csv", "a,b\n1,oops\n")
    with pytest.raises(ScenarioError, match=r"x\.csv\.b: must hold numbers \(got 'oops'\)"):
        t.num("b")
    with pytest.raises(ScenarioError, match=r"x\.csv\.c: column is missing"):
        t.num("c")


def test_run_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="DIR: must be an existing run folder"):
        RunFolder(tmp_path / "nope")


# --- folding hours into days, targets, surge windows -----------------------------------------


def test_per_day_sums_maxima_medians_and_weighted_means() -> None:
    times = np.arange(
        np.datetime64("2013-01-01T00:00"), np.datetime64("2013-01-03T00:00"), np.timedelta64(1, "h")
    ).astype("datetime64[s]")
    v = np.arange(48, dtype=np.float64)
    v[30] = np.nan
    days, s = per_day(times, v)
    assert days.astype(str).tolist() == ["2013-01-01T00:00:00", "2013-01-02T00:00:00"]
    assert s.tolist() == [sum(range(24)), sum(range(24, 48)) - 30]
    assert per_day(times, v, "max")[1].tolist() == [23, 47]
    assert per_day(times, v, "median")[1][0] == 11.5
    w = np.zeros(48)
    w[[0, 1]] = [1, 3]
    weighted = per_day(times, v, "weighted", w)[1]
    assert weighted[0] == 0.75 and np.isnan(weighted[1])  # no weight on day 2


def test_target_in_force_follows_dated_phases() -> None:
    times = np.asarray(["2013-02-28T23:00", "2013-03-01T00:00"], dtype="datetime64[s]")
    assert target_minutes(15, times).tolist() == [15, 15]
    dated = [{"from": "2013-01-01", "minutes": 30}, {"from": "2013-03-01", "minutes": 10}]
    assert target_minutes(dated, times).tolist() == [30, 10]


def test_surge_windows_split_at_gaps_and_capacity_is_workers_over_service_time() -> None:
    t = np.asarray(
        ["2013-04-09T14:00:00", "2013-04-09T14:00:01", "2013-04-10T14:00:00"], "datetime64[s]"
    )
    assert windows(t) == [slice(0, 2), slice(2, 3)]
    server = {
        "instances": 2,
        "workers_per_instance": 16,
        "reply": "sync",
        "service_time_seconds": {"dist": "lognormal", "mean": 0.1, "cv": 1.0},
    }
    assert server_capacity(server) == pytest.approx(320)
    assert server_capacity({**server, "reply": "async"}) is None


# --- Chinese names -----------------------------------------------------------------------------


def glyph_ids(label: str, rc: dict[str, object]) -> set[str]:
    """The glyph definitions of an SVG with `label` as a title (text drawn as paths)."""
    with style(rc):
        fig, (ax,) = new_figure()
        ax.set_title(label)
        _, svg = export(FigureOut("t", "t", "", fig), rc)
    return set(re.findall(r'<path id="([^"]+-[0-9a-f]+)"', svg.decode()))


def tofu(glyph_id: str) -> bool:
    """A .notdef glyph (index 0), or matplotlib's last-resort box for characters no font has."""
    return glyph_id.endswith("-0") or glyph_id.startswith("LastResort")


def test_chinese_names_render_with_real_glyphs_not_tofu() -> None:
    cjk = find_cjk_font()
    assert cjk is not None, "no CJK font installed: run `make fonts` (make test does)"
    font = FT2Font(str(cjk.path))
    wanted = {f"{font.postscript_name}-{font.get_char_index(ord(c)):x}" for c in CJK_PROBE}
    assert all(not w.endswith("-0") for w in wanted)  # glyph 0 is .notdef, the tofu box
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would fail here
        ids = glyph_ids(f"{CJK_PROBE} campaign", rc_params(cjk))
    assert wanted <= ids and len(wanted) == len(set(CJK_PROBE))  # one real glyph per character
    assert not any(tofu(i) for i in ids)


def test_without_a_cjk_font_the_same_label_is_tofu() -> None:
    """The check above can fail: without a CJK font every character becomes the same box."""
    with pytest.warns(UserWarning, match="missing from font"):
        ids = glyph_ids("米粉节", rc_params(None))
    assert any(tofu(i) for i in ids)


# --- building ---------------------------------------------------------------------------------


def test_sections_without_their_files_are_skipped_with_a_note(
    service_day: Path, tmp_path: Path
) -> None:
    report = build_report(service_day, tmp_path / "r.html")
    text = report.path.read_text(encoding="utf-8")
    assert "Campaign surges: the server" in text.split('id="not-shown"')[1]  # no campaign
    assert "fansim staff: Agents on duty vs required" in text
    assert "no growth to draw" in text  # a one-day run with a fixed fan base
    names = sorted(p.name for p in report.figures)
    assert "messages.png" in names and "backlog_response.svg" in names
    assert all((tmp_path / "r_figures" / n).is_file() for n in names)
    assert "First response:" in text and ("met</span>" in text or "missed</span>" in text)


def test_figures_come_from_the_folders_files_and_are_deterministic(
    service_day: Path, tmp_path: Path
) -> None:
    run = copy_of(service_day, tmp_path)
    figure = run / "report_figures" / "messages.svg"
    build_report(run, sections=[MESSAGES])
    first = figure.read_bytes()
    page = (run / "report.html").read_bytes()
    build_report(run, sections=[MESSAGES])
    assert figure.read_bytes() == first and (run / "report.html").read_bytes() == page
    csv = run / "timeseries.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    col = header.index("messages_to_humans")
    cells = lines[13].split(",")
    cells[col] = str(int(cells[col]) * 10 + 500)  # noon: ten times the messages to humans
    lines[13] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    build_report(run, sections=[MESSAGES])
    assert figure.read_bytes() != first
    assert (run / "report.html").read_bytes() != page


def test_a_figure_no_longer_drawn_is_removed(service_day: Path, tmp_path: Path) -> None:
    run = copy_of(service_day, tmp_path)
    stale = run / "report_figures" / "surge_9.png"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    build_report(run, sections=[MESSAGES])
    assert not stale.exists()


# --- CLI ---------------------------------------------------------------------------------------


def test_report_command_writes_the_page_and_prints_its_path(
    service_day: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "slides" / "day.html"
    assert main(["report", str(service_day), "--out", str(out)]) == 0
    assert f"report: {out}" in capsys.readouterr().out
    assert out.is_file() and (tmp_path / "slides" / "day_figures" / "agents.png").is_file()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "DIR: must be an existing run folder"),
        ("empty", "DIR: holds none of the files a report draws"),
        ("bad_cell", r"timeseries\.csv\.backlog: must hold numbers \(got 'lots'\)"),
    ],
)
def test_report_command_rejects_bad_folders_with_exit_2(
    setup: str,
    message: str,
    service_day: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "missing"
    if setup == "empty":
        folder.mkdir()
    elif setup == "bad_cell":
        folder = copy_of(service_day, tmp_path)
        csv = folder / "timeseries.csv"
        lines = csv.read_text(encoding="utf-8").splitlines()
        col = lines[0].split(",").index("backlog")
        cells = lines[1].split(",")
        cells[col] = "lots"
        lines[1] = ",".join(cells)
        csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err) and "Traceback" not in err


# --- the SLA share, stale reports --------------------------------------------------------------


def findings(page: Path) -> list[str]:
    """The decision summary's lines: 'verdict: text'."""
    text = page.read_text(encoding="utf-8")
    return [
        f"{v}: {html.unescape(t)}"
        for v, t in re.findall(r'<li><span class="badge (\w+)">[^<]*</span>([^<]*)', text)
    ]


@pytest.mark.parametrize(("share", "verdict"), [("50%", "met"), ("0.999", "missed")])
def test_sla_share_decides_the_verdict_and_is_stated(
    share: str, verdict: str, service_day: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    assert main(["report", str(service_day), "--out", str(out), "--sla-share", share]) == 0
    first = next(f for f in findings(out) if "First response" in f)
    pct = f"{float(share.rstrip('%')) / (100 if '%' in share else 1):.0%}"
    assert first.startswith(f"{verdict}: ") and f"the report asks for {pct}" in first
    assert f"at least {pct} of the messages" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "must be > 0%"), ("150%", "must be >= 0% and <= 100%"), ("lots", "a percentage")],
)
def test_sla_share_rejects_bad_values_with_exit_2(
    value: str, message: str, service_day: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(service_day), "--sla-share", value]) == 2
    assert message in capsys.readouterr().err


def test_a_run_without_report_removes_the_report_of_the_previous_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["run", str(SERVICE_DAY), "--out", str(out), "-q", "--report"]) == 0
    assert (out / "report.html").is_file() and (out / "report_figures" / "agents.png").is_file()
    assert main(["run", str(SERVICE_DAY), "--out", str(out), "-q", "--seed", "2"]) == 0
    assert not (out / "report.html").exists() and not (out / "report_figures").exists()
    assert (out / "summary.json").is_file()


def test_a_failed_run_keeps_the_previous_outputs_and_their_report(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["run", str(SERVICE_DAY), "--out", str(out), "-q", "--report"]) == 0
    page = (out / "report.html").read_bytes()
    bad = ["--set", "service.shifts[0].agents=-1"]
    assert main(["run", str(SERVICE_DAY), "--out", str(out), "-q", *bad]) == 2
    assert (out / "report.html").read_bytes() == page


# --- staffing and cascades ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def staffing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("staffing")
    target = ["--target", "80% within 15 min", "--replications", "2"]
    assert main(["staff", str(SERVICE_DAY), *target, "--out", str(out), "-q", "--report"]) == 0
    return out


def edit_csv(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell of a CSV file (row 1 = the first data row)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    col = lines[0].split(",").index(column)
    cells = lines[row].split(",")
    cells[col] = value
    lines[row] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_staff_report_draws_required_agents_and_follows_the_csv(
    staffing: Path, tmp_path: Path
) -> None:
    assert (staffing / "report_figures" / "agents_required.svg").is_file()
    assert (staffing / "report_figures" / "roster_shifts.svg").is_file()
    before = findings(staffing / "report.html")
    assert (
        before[0].startswith("met: Roster: meets the staffing target") and "24 of 24" in before[0]
    )
    run = copy_of(staffing, tmp_path)
    figure = (run / "report_figures" / "agents_required.svg").read_bytes()
    edit_csv(run / "staffing.csv", 11, "roster_met", "False")  # 10:00
    edit_csv(run / "staffing.csv", 11, "roster_service_level", "0.5")
    build_report(run)
    after = findings(run / "report.html")
    assert after[0].startswith("missed: ") and "23 of 24" in after[0]
    assert "missed at 10:00 (lowest service level 50%)" in after[0]
    assert (run / "report_figures" / "agents_required.svg").read_bytes() != figure


CASCADE_CSV = """campaign,launch_date,generation,participants,follows,sharers,shares,reached,\
joined,effective_r
抽奖,2013-06-01,0,1000,0,100,900,800,500,0.5
抽奖,2013-06-01,1,500,400,50,450,400,250,0.5
抽奖,2013-06-01,2,250,200,0,0,0,0,0.0
"""


def test_cascade_report_sums_generations_and_follows_the_csv(tmp_path: Path) -> None:
    (tmp_path / "cascades.csv").write_text(CASCADE_CSV, encoding="utf-8")
    report = build_report(tmp_path)
    (finding,) = findings(report.path)
    assert "1,000 participants on the day became 1,750 over 3 generations (x1.75)" in finding
    assert "effective R 0.50 (dies out)" in finding and "600 follows" in finding
    figure = (tmp_path / "report_figures" / "cascades.svg").read_bytes()
    edit_csv(tmp_path / "cascades.csv", 2, "participants", "5000")
    build_report(tmp_path)
    assert (tmp_path / "report_figures" / "cascades.svg").read_bytes() != figure


# --- replications, comparisons, sweeps, load tests ---------------------------------------------


def write_rows(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_replication_bands_narrow_and_follow_the_rows(tmp_path: Path) -> None:
    values = [(0.95, 40), (0.93, 50), (0.97, 45), (0.94, 44)]
    header = "run_id,replication,sla_first_response_met,sla_first_response_target_minutes,"
    header += "backlog_max"
    rows = [f"x,{i},{v},15,{b}" for i, (v, b) in enumerate(values)]
    csv = write_rows(tmp_path / "replications.csv", header, rows)
    mean, low, high = running_ci(np.asarray([v for v, _ in values]))
    assert mean[0] == low[0] == high[0] == 0.95  # one replication: no interval yet
    assert (high - low)[-1] < (high - low)[1]
    sla, widths = findings(build_report(tmp_path).path)
    assert sla.startswith("met: First response over 4 replications: 94.7% of messages within")
    assert "the whole CI above it" in sla and "most messages waiting 44.8 ±" in widths
    figure = (tmp_path / "report_figures" / "replication_bands.svg").read_bytes()
    edit_csv(csv, 2, "sla_first_response_met", "0.70")
    assert findings(build_report(tmp_path).path)[0].startswith("unsure: ")  # CI straddles 90%
    assert (tmp_path / "report_figures" / "replication_bands.svg").read_bytes() != figure


COMPARISON_HEADER = (
    "variant,scenario,metric,n,mean,std,ci_low,ci_high,halfwidth,diff_mean,diff_std,"
    "diff_ci_low,diff_ci_high,rank,p_best"
)


def test_comparison_judges_each_variant_and_names_clear_differences(tmp_path: Path) -> None:
    csv = write_rows(
        tmp_path / "comparison.csv",
        COMPARISON_HEADER,
        [
            "base,s,fans_final,5,1000,10,990,1010,10,,,,,2,0.1",
            "more,s,fans_final,5,1200,10,1190,1210,10,200,5,190,210,1,0.9",
            "base,s,sla_first_response_met,5,0.80,0.01,0.78,0.82,0.02,,,,,,",
            "more,s,sla_first_response_met,5,0.93,0.01,0.91,0.95,0.02,0.13,0.01,0.11,0.15,,",
        ],
    )
    lines = findings(build_report(tmp_path).path)
    assert lines[0].startswith("missed: First response, base: 80.0%")
    assert lines[1].startswith("met: First response, more: 93.0%")
    assert "Best by fans_final: more (mean 1,200, probability of being best 90%" in lines[2]
    assert "more fans_final +200 [+190, +210]" in lines[3]
    assert "more sla_first_response_met +13.0 points" in lines[3]
    figure = (tmp_path / "report_figures" / "comparison.svg").read_bytes()
    edit_csv(csv, 2, "ci_high", "1400")
    build_report(tmp_path)
    assert (tmp_path / "report_figures" / "comparison.svg").read_bytes() != figure


def test_sweep_finds_its_grid_columns_and_the_points_that_meet_the_target(
    tmp_path: Path,
) -> None:
    header = "run_id,scenario,replication,seed,params_hash,version,service.shifts[0].agents,"
    header += "fans_mean,sla_first_response_met,backlog_max"
    rows = [
        f"r{a},s,{r},1,h,0.1,{a},1,{sla},{60 - a}"
        for a, slas in ((3, (0.70, 0.71, 0.72)), (5, (0.92, 0.93, 0.94)))
        for r, sla in enumerate(slas)
    ]
    csv = write_rows(tmp_path / "grid.csv", header, rows)
    assert grid_columns(RunFolder(tmp_path, {"sweep.csv": "grid.csv"}).table("sweep.csv")) == [
        "service.shifts[0].agents"
    ]
    report = build_report(tmp_path, tmp_path / "grid.html", files={"sweep.csv": "grid.csv"})
    (line,) = [f for f in findings(report.path) if "grid points" in f]
    assert line.startswith("met: First response: 1 of 2 grid points meet 90%")
    assert "met: service.shifts[0].agents = 5 (93.0%)" in line
    assert "missed: service.shifts[0].agents = 3 (71.0%)" in line
    figure = (tmp_path / "grid_figures" / "sweep.svg").read_bytes()
    edit_csv(csv, 1, "backlog_max", "99")
    build_report(tmp_path, tmp_path / "grid.html", files={"sweep.csv": "grid.csv"})
    assert (tmp_path / "grid_figures" / "sweep.svg").read_bytes() != figure


def test_sweep_report_needs_a_csv_table_and_says_so_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "grid.parquet"
    argv = ["sweep", str(SERVICE_DAY), "--grid", "service.shifts[0].agents=3,4", "--out", str(out)]
    assert main([*argv, "--report"]) == 2
    assert "--out: --report draws from a .csv table" in capsys.readouterr().err
    assert not out.exists()


def test_load_test_report_reads_the_load_report_and_the_records(tmp_path: Path) -> None:
    run = tmp_path / "lt"
    write_records(run)
    assert main(["loadreport", str(run), "--report"]) == 0
    names = sorted(p.stem for p in (run / "report_figures").glob("*.svg"))
    assert names == ["loadtest_counts", "loadtest_latency", "loadtest_over_time"]
    lines = findings(run / "report.html")
    rep = json.loads((run / "loadreport.json").read_text(encoding="utf-8"))
    p99 = rep["latency_from_intended_ms"]["p99"] / 1000
    back_end = next(f for f in lines if "Back end:" in f)
    assert back_end.startswith("missed: ") and f"p99 from intended time {p99:,.2f} s" in back_end
    assert any(f.startswith("info: Locust's own p99 (from send)") for f in lines)
    figure = (run / "report_figures" / "loadtest_latency.svg").read_bytes()
    rep["latency_from_intended_ms"]["p99"] = 1.0
    rep["failed"] = 0
    (run / "loadreport.json").write_text(json.dumps(rep), encoding="utf-8")
    build_report(run)
    assert next(f for f in findings(run / "report.html") if "Back end:" in f).startswith("met: ")
    assert (run / "report_figures" / "loadtest_latency.svg").read_bytes() != figure
    for name in run.glob("messages-*.csv"):
        name.unlink()
    report = build_report(run)
    assert "no figure over time" in report.path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("verdicts", "headline"),
    [
        ((), "No target to judge in this run's files."),
        (("met", "met", "info"), "All 2 targets met."),
        (("met", "missed"), "1 of 2 targets missed."),
        (("met", "missed", "unsure"), "Of 3 targets: 1 met, 1 missed, 1 unsure."),
    ],
)
def test_the_headline_counts_the_verdicts(verdicts: tuple[str, ...], headline: str) -> None:
    assert _headline(tuple(Finding(v, "x") for v in verdicts)) == headline
