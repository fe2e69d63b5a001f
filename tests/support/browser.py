"""Debian's chromium, driven by Playwright: tabs that fail a test on any
console error (a Content-Security-Policy violation included) or failed
request, and the few page steps every browser test takes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tests.support.factories import PASSWORD, fresh_totp_code

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import (
        Browser,
        ConsoleMessage,
        Page,
        Playwright,
        Request,
        Response,
        ViewportSize,
    )

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


# Chromium logs every 4xx answer to a fetch as a console error. allauth's
# JSON API answers 401 for a step still pending ("verify your email", "now
# the second factor") and 400 for refused input: answers, not faults. A Visit
# given `api_paths` accepts those lines for JSON answers under those paths,
# and lists them in `api_refusals` for the test to check; any other 4xx or
# 5xx line stays a problem.
FAILED_RESOURCE = re.compile(
    r"^Failed to load resource: the server responded with a status of (\d{3})"
)


class Visit:
    """A browser tab on the service, failing on any console error or failed
    request for a page asset."""

    def __init__(
        self,
        browser: Browser,
        base_url: str,
        viewport: str = "desktop",
        *,
        api_paths: tuple[str, ...] = (),
        **options,
    ) -> None:
        self.context = browser.new_context(
            base_url=base_url, viewport=VIEWPORTS[viewport], **options
        )
        self.viewport = viewport
        self.problems: list[str] = []
        self.api_paths = api_paths
        self.api_refusals: list[tuple[str, str, int]] = []  # method, path, status
        self._logged_refusals: list[tuple[str, int]] = []  # url, status
        self.page: Page = self.new_tab()

    def new_tab(self) -> Page:
        """Another tab in this browser (same cookies and storage), watched alike."""
        page = self.context.new_page()
        page.on("console", self._on_console)
        page.on("requestfailed", self._on_request_failed)
        if self.api_paths:
            page.on("response", self._on_response)
        return page

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        match = FAILED_RESOURCE.match(message.text)
        if match and 400 <= int(match[1]) < 500 and self._is_api(url):
            self._logged_refusals.append((url, int(match[1])))
        else:
            self.problems.append(f"{message.text} {url}")

    def _on_request_failed(self, request: Request) -> None:
        if request.failure != "net::ERR_ABORTED":  # cut short by a navigation
            self.problems.append(f"failed: {request.url} {request.failure}")

    def _on_response(self, response: Response) -> None:
        if (
            400 <= response.status < 500
            and self._is_api(response.url)
            and "json" in (response.headers.get("content-type") or "")
        ):
            path = urlsplit(response.url).path
            self.api_refusals.append((response.request.method, path, response.status))

    def _is_api(self, url: str) -> bool:
        return bool(self.api_paths) and urlsplit(url).path.startswith(self.api_paths)

    def screenshot(self, artifacts: Path, name: str) -> None:
        folder = artifacts / "screenshots"
        folder.mkdir(exist_ok=True)
        self.page.screenshot(
            path=folder / f"{name}-{self.viewport}.png", full_page=True
        )

    def close(self) -> None:
        self.context.close()
        answered = [(path, status) for _method, path, status in self.api_refusals]
        for url, status in self._logged_refusals:
            if (urlsplit(url).path, status) not in answered:
                self.problems.append(f"{status} without a JSON answer: {url}")
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
    field(page, "Code").fill(fresh_totp_code(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In", exact=True).click()
