"""Each kind of report opened in headless chromium: figures visible, no errors, nothing fetched.

Kinds: a growth run (the flagship, 99 days); a service day planned three ways in one folder (the
run, `fansim staff`, replications with confidence bands); the festival surge; a short growth
run with Chinese channel and phase names; a campaign cascade; a load test (`fansim loadreport`
on toy records, tests/loadtest_records.py); a comparison of two variants; a sweep. Each kind is
the steps that fill its folder, the last one a command run with `--report`. Screenshots go to
the test's temporary folder (the path is printed with `pytest -s`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext

from sim.cli.main import main
from tests.browser import chromium, visit
from tests.loadtest_records import write_records

REPO = Path(__file__).parents[2]
SCENARIOS = REPO / "scenarios"
SERVICE_DAY = str(SCENARIOS / "xiaomi_service_2013.toml")
NINE_AGENTS = str(REPO / "tests" / "data" / "service_9_agents.toml")
ONE_WORKER = ["--workers", "1"]

Step = Callable[[Path], list[str] | None]  # a command's arguments, or None after doing the work


def _run(scenario: Path | str) -> Step:
    return lambda d: ["run", str(scenario), "-q", "--out", str(d)]


def _records(d: Path) -> None:
    write_records(d)


def _compare(d: Path) -> list[str]:
    return [
        "compare",
        SERVICE_DAY,
        NINE_AGENTS,
        "--replications",
        "2",
        *ONE_WORKER,
        "--out",
        str(d),
    ]


def _sweep(d: Path) -> list[str]:
    grid = ["--grid", "service.shifts[0].agents=3,5", "--replications", "2"]
    return ["sweep", SERVICE_DAY, *grid, *ONE_WORKER, "--out", str(d / "sweep.csv")]


STAFF = ["--target", "80% within 15 min", "--replications", "2", "-q"]
KINDS: dict[str, tuple[list[Step], str]] = {
    "flagship": ([_run(SCENARIOS / "xiaomi_2013q1.toml")], "report.html"),
    "service_day_planned": (
        [
            _run(SERVICE_DAY),
            lambda d: ["staff", SERVICE_DAY, *STAFF, "--out", str(d)],
            lambda d: [
                "run",
                SERVICE_DAY,
                "--replications",
                "3",
                *ONE_WORKER,
                "-q",
                "--out",
                str(d),
            ],
        ],
        "report.html",
    ),
    "festival": ([_run(SCENARIOS / "mifan_festival_2013.toml")], "report.html"),
    "chinese_names": ([_run(REPO / "tests" / "data" / "report_cjk.toml")], "report.html"),
    "cascades": ([_run(SCENARIOS / "weibo_repost_lottery_2013.toml")], "report.html"),
    "loadtest": ([_records, lambda d: ["loadreport", str(d)]], "report.html"),
    "compare": ([_compare], "report.html"),
    "sweep": ([_sweep], "sweep.html"),
}
MAX_BYTES = 5_000_000


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder with its report per kind (the last step's command gets `--report`)."""
    out = {}
    for kind, (steps, page) in KINDS.items():
        folder = tmp_path_factory.mktemp(kind)
        for i, step in enumerate(steps):
            argv = step(folder)
            if argv is not None:
                report = ["--report"] if i == len(steps) - 1 else []
                assert main([*argv, *report]) == 0
        out[kind] = folder / page
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.mark.parametrize("kind", KINDS)
def test_report_opens_with_every_figure_visible(
    kind: str, reports: dict[str, Path], browser: BrowserContext, tmp_path: Path
) -> None:
    report = reports[kind]
    figures = report.parent / f"{report.stem}_figures"
    expected = sorted(p.stem for p in figures.glob("*.png"))
    assert expected, "the report drew no figure"
    with visit(browser, report.as_uri()) as seen:
        page = seen.page
        shown = page.eval_on_selector_all("figure.figure", "fs => fs.map(f => f.id)")
        assert sorted(shown) == [f"fig-{name}" for name in expected]
        for img in page.locator("figure.figure img").all():
            img.scroll_into_view_if_needed()
            assert img.is_visible()
            assert img.evaluate("i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0")
            box = img.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
        assert page.locator("#summary li").count() > 0  # the decision summary has findings
        shot = tmp_path / f"{kind}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
    assert seen.console_errors == []
    assert seen.left_the_file == []
    assert shot.stat().st_size > 10_000


def test_the_guard_catches_a_request_that_leaves_the_file(
    browser: BrowserContext, tmp_path: Path
) -> None:
    """The check above can fail: a page that fetches from the network is caught."""
    page = tmp_path / "leaky.html"
    page.write_text('<img src="http://192.0.2.1/x.png"><p>leak</p>', encoding="utf-8")
    with visit(browser, page.as_uri()) as seen:
        pass
    assert seen.left_the_file and seen.left_the_file[0].startswith("http://192.0.2.1/")


def test_flagship_report_weighs_under_5_mb(reports: dict[str, Path]) -> None:
    assert reports["flagship"].stat().st_size < MAX_BYTES


@pytest.mark.benchmark
def test_flagship_report_opens_fast(
    benchmark: Any, reports: dict[str, Path], browser: BrowserContext
) -> None:
    """Target: the flagship report loads and every figure is decoded in under 2 s."""
    url = reports["flagship"].as_uri()

    def open_report() -> int:
        with visit(browser, url) as seen:
            n: int = seen.page.evaluate(
                "async () => { const i = [...document.images];"
                " await Promise.all(i.map(x => x.decode())); return i.length; }"
            )
        return n

    assert benchmark(open_report) >= 6
