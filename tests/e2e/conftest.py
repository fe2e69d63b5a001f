"""What the end-to-end tests share: the service under gunicorn, and a
browser that trusts the tests' own TLS certificate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import CHROMIUM, Visit, launch_chromium
from tests.support.processes import Web, service_env
from tests.support.tls import self_signed, spki_hash

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from playwright.sync_api import Browser


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, and its key."""
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def browser(certificate) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    cert, _key = certificate
    with sync_playwright() as playwright:
        # Trusted as a real certificate would be, so https://localhost is a
        # secure context (WebAuthn refuses pages with certificate errors).
        browser = launch_chromium(
            playwright, f"--ignore-certificate-errors-spki-list={spki_hash(cert)}"
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def web(artifacts, django_db_setup, django_db_blocker) -> Iterator[Web]:
    """The service under gunicorn, plain HTTP, for this module's tests."""
    server = Web(artifacts, service_env()).start()
    yield server
    server.stop()


@pytest.fixture
def visit(browser, web) -> Iterator[Callable[..., Visit]]:
    """Open tabs on `web`; each fails the test on a console error."""
    tabs: list[Visit] = []

    def open_tab(viewport: str = "desktop", **options) -> Visit:
        tabs.append(Visit(browser, web.url, viewport, **options))
        return tabs[-1]

    yield open_tab
    for tab in tabs:
        tab.close()
