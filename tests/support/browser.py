"""Debian's chromium, driven by Playwright: tabs that fail a test on any
console error (a Content-Security-Policy violation included) or failed
request, and the few page steps every browser test takes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.support.factories import PASSWORD, fresh_code

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, Page, Playwright, ViewportSize

CHROMIUM = "/usr/bin/chromium"
VIEWPORTS: dict[str, ViewportSize] = {
    "mobile": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}


def launch_chromium(playwright: Playwright, *args: str) -> Browser:
    """Chromium as root on a closed network: no sandbox, no GPU, no calls home."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            *args,
        ],
    )


class Visit:
    """A browser tab on the service, failing on any console error or failed
    request for a page asset."""

    def __init__(
        self, browser: Browser, base_url: str, viewport: str = "desktop", **options
    ) -> None:
        self.context = browser.new_context(
            base_url=base_url, viewport=VIEWPORTS[viewport], **options
        )
        self.page: Page = self.context.new_page()
        self.viewport = viewport
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"{m.text} {m.location.get('url')}")
                if m.type == "error"
                else None
            ),
        )
        self.page.on(
            "requestfailed",
            lambda r: (
                None
                if r.failure == "net::ERR_ABORTED"  # cut short by a navigation
                else self.problems.append(f"failed: {r.url} {r.failure}")
            ),
        )

    def screenshot(self, artifacts: Path, name: str) -> None:
        folder = artifacts / "screenshots"
        folder.mkdir(exist_ok=True)
        self.page.screenshot(
            path=folder / f"{name}-{self.viewport}.png", full_page=True
        )

    def close(self) -> None:
        self.context.close()
        assert self.problems == [], self.problems


def field(page: Page, label: str):
    """The form field labelled `label` (Django adds a colon to labels)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    field(page, "Email").fill(email)
    field(page, "Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In", exact=True).click()


def log_in_with_code(page: Page, email: str, secret: str) -> None:
    """Log in with the password, then the authenticator app's current code."""
    log_in(page, email)
    field(page, "Code").fill(fresh_code(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In", exact=True).click()
