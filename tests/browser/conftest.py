"""Fixtures for the end-to-end tests in Chromium.

The machines have no internet, so Playwright cannot download its own browser builds: the tests
drive the system's Chromium (Debian's `chromium` package) by its path instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from billflow_sandbox import Sandbox

# Flags that keep a headless Chromium from reaching for the network on its own (updates,
# sync, QUIC probes) on machines that have none, and let it run as root in containers.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Chromium's executable: `BILLFLOW_CHROMIUM`, else `/usr/bin/chromium`.

    A missing browser skips the browser tests on a developer's machine but fails them in CI
    (`CI=true`), so CI cannot go green without having run them.
    """
    path = os.environ.get("BILLFLOW_CHROMIUM", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        reason = (
            f"Chromium not found at {path}: install it (apt-get install chromium) "
            "or point BILLFLOW_CHROMIUM at its executable"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    """One Chromium for the whole session: launching it is the slow part of a browser test."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies or storage shared between tests).

    Uncaught script errors fail the test at teardown: a broken script can otherwise leave a
    page that merely looks idle.
    """
    context = browser.new_context()
    context.set_default_timeout(5_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


# -- the portal embedded in a site (portal_site.py beside this file) -------------------------
_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from portal_site import PortalSite, open_site  # noqa: E402


@pytest.fixture
def portal_site(stripe_sandbox: Sandbox) -> Iterator[Callable[..., PortalSite]]:
    """Serve a site that embeds the portal with the given options, the sandbox's demo
    account behind it (ada@example.com, a Team and a Seats subscription, a Visa card)."""
    sites: list[PortalSite] = []
    ids = stripe_sandbox.seed("demo")

    def open_with(**options: Any) -> PortalSite:
        sites.append(open_site(stripe_sandbox, ids, options))
        return sites[-1]

    yield open_with
    for site in sites:
        site.close()


@pytest.fixture
def browse(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open pages in fresh contexts: `browse(locale="ja-JP", width=360)`. The locale is the
    browser's language (its Accept-Language). Uncaught script errors fail the test."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_page(
        *,
        locale: str = "en-US",
        width: int = 1024,
        height: int = 800,
        axe: bool = False,
        dark: bool = False,
        reduced_motion: bool = False,
    ) -> Page:
        """`axe`: the context bypasses the page's Content-Security-Policy, so axe-core's
        script may be added (`accessibility_problems`). `dark`, `reduced_motion`: the
        visitor's system asks for a dark page, or for less motion."""
        context = browser.new_context(
            locale=locale,
            viewport={"width": width, "height": height},
            bypass_csp=axe,
            color_scheme="dark" if dark else "light",
            reduced_motion="reduce" if reduced_motion else "no-preference",
        )
        context.set_default_timeout(5_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


# -- accessibility, judged by axe-core (pinned in package.json, installed by scripts/test) ---
_AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script. Missing, it skips the accessibility checks on a developer's machine
    and fails them in CI, as the browser tests do."""
    if not _AXE.is_file():
        reason = "axe-core is not installed: npm ci (scripts/test runs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return _AXE.read_text(encoding="utf-8")


@pytest.fixture
def accessibility_problems(axe_source: str) -> Callable[[Page], list[str]]:
    """What axe-core finds wrong in a page (WCAG 2.2 A and AA, and its best practices), one
    line per rule and element. The page's context must bypass its Content-Security-Policy
    (`bypass_csp=True`) for the script to be added."""

    def problems(page: Page) -> list[str]:
        page.add_script_tag(content=axe_source)
        found = page.evaluate(
            """() => axe.run(document, {runOnly: {type: "tag", values:
                ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})
              .then(result => result.violations.flatMap(v => v.nodes.map(n =>
                `${v.id}: ${v.help} at ${n.target.join(" ")}`)))"""
        )
        return list(found)

    return problems
