"""Browser tests: Playwright driving Debian's chromium (never a browser Playwright downloads).

Without chromium on the machine these tests skip, unless WELOOP_REQUIRE_BROWSER=1 (CI sets it),
where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
]


def _chromium_path() -> str | None:
    return os.environ.get("WELOOP_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if path is None:
        if os.environ.get("WELOOP_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (make browser installs Debian's package)")
        pytest.skip("chromium is not installed; run `make browser` as root to enable browser tests")
    # Playwright's sync API runs an event loop; Django refuses ORM calls from a thread with one.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    """A page sized like a phone inside WeChat."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        locale="zh-CN",
        user_agent="Mozilla/5.0 (iPhone) MicroMessenger/8.0.50",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
