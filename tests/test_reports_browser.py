"""Each kind of report opened in headless chromium: figures visible, no errors, nothing fetched.

Kinds: a growth run (the flagship, 99 days), a service day staffed by `fansim staff`, the
festival surge, a short growth run with Chinese channel and phase names, a campaign cascade.
Each kind is the commands that make its folder, the last one with `--report`. Screenshots go
to the test's temporary folder (the path is printed with `pytest -s`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext

from sim.cli.main import main
from tests.browser import chromium, visit

REPO = Path(__file__).parents[1]
SCENARIOS = REPO / "scenarios"


def _run(scenario: Path) -> list[str]:
    return ["run", str(scenario), "-q"]


STAFF_TARGET = ["--target", "80% within 15 min", "--replications", "2"]
KINDS: dict[str, list[list[str]]] = {
    "flagship": [_run(SCENARIOS / "xiaomi_2013q1.toml")],
    "service_day_staffed": [
        _run(SCENARIOS / "xiaomi_service_2013.toml"),
        ["staff", str(SCENARIOS / "xiaomi_service_2013.toml"), *STAFF_TARGET, "-q"],
    ],
    "festival": [_run(SCENARIOS / "mifan_festival_2013.toml")],
    "chinese_names": [_run(REPO / "tests" / "data" / "report_cjk.toml")],
    "cascades": [_run(SCENARIOS / "weibo_repost_lottery_2013.toml")],
}
MAX_BYTES = 5_000_000


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder with its report per kind (the last command gets `--report`)."""
    out = {}
    for kind, commands in KINDS.items():
        folder = tmp_path_factory.mktemp(kind)
        for i, argv in enumerate(commands):
            report = ["--report"] if i == len(commands) - 1 else []
            assert main([*argv, "--out", str(folder), *report]) == 0
        out[kind] = folder / "report.html"
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
    expected = sorted(p.stem for p in (report.parent / "report_figures").glob("*.png"))
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
