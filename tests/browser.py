"""Debian's chromium driven by Playwright, offline: for tests that open reports in a real browser.

Never downloads a browser: Playwright launches /usr/bin/chromium (`make browser` installs it;
`make test` calls that when it is missing). Every request a page makes is checked: file: and
data: URLs pass, anything else is recorded and aborted, so a test can assert nothing left.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",  # the test machine runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL = ("file:", "data:", "about:")
TIMEOUT_MS = 20_000


@dataclass
class Visit:
    """What happened while a page was open."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    left_the_file: list[str] = field(default_factory=list)


@contextmanager
def chromium(profile: Path) -> Iterator[BrowserContext]:
    """A headless chromium with a fresh profile folder; closed (process ended) on exit."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make browser` (make test does)")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            timeout=TIMEOUT_MS,
            viewport={"width": 1100, "height": 900},
        )
        try:
            context.set_default_timeout(TIMEOUT_MS)
            yield context
        finally:
            context.close()


@contextmanager
def visit(context: BrowserContext, url: str) -> Iterator[Visit]:
    """Open `url` in a new tab, recording console errors and any request that is not local."""
    page = context.new_page()
    seen = Visit(page)

    def record(url: str) -> None:
        if not url.startswith(LOCAL):
            seen.left_the_file.append(url)

    def guard(route: Route) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            record(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("request", lambda r: record(r.url))
    page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.console_errors.append(str(e)))
    try:
        page.goto(url, wait_until="load")
        yield seen
    finally:
        page.close()
