"""Passkeys in a real browser: Chromium's virtual authenticator (the CDP
WebAuthn domain) against the service over TLS at https://localhost, which
is a secure context and a relying party id WebAuthn accepts."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from tests.support.browser import Visit, field, log_in
from tests.support.factories import PASSWORD, UserFactory
from tests.support.processes import Web, service_env

if TYPE_CHECKING:
    from collections.abc import Iterator

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def tls_web(
    artifacts, certificate, django_db_setup, django_db_blocker
) -> Iterator[Web]:
    """gunicorn serving TLS itself, reached as https://localhost."""
    cert, key = certificate
    server = Web(
        artifacts,
        service_env(),
        "--certfile",
        str(cert),
        "--keyfile",
        str(key),
        origin="https://localhost",
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tab(browser, tls_web) -> Iterator[Visit]:
    visit = Visit(browser, tls_web.url)
    cdp = visit.context.new_cdp_session(visit.page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    yield visit
    visit.close()


def add_passkey(tab: Visit, artifacts=None) -> None:
    """Sign in with the password and add a passkey, on the pages."""
    user = UserFactory.create(email="keyholder@example.com")
    page = tab.page
    log_in(page, user.email)
    page.goto("/accounts/2fa/webauthn/add/")
    if "/reauthenticate/" in page.url:  # a sensitive change: the password again
        field(page, "Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add Security Key")
    field(page, "Name").fill("Laptop passkey")
    page.get_by_label(re.compile("Passwordless")).check()
    if artifacts:
        tab.screenshot(artifacts, "passkey-add")
    page.wait_for_load_state("load")  # the button's script is attached on load
    page.get_by_role("button", name="Add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    (passkey,) = Authenticator.objects.filter(user=user, type="webauthn")
    assert passkey.wrap().name == "Laptop passkey"
    page.goto("/accounts/logout/")
    page.get_by_role("button", name="Sign Out").click()


def test_add_a_passkey_then_sign_in_with_it_alone(tab, artifacts):
    add_passkey(tab, artifacts)
    page = tab.page

    page.goto("/accounts/login/")
    tab.screenshot(artifacts, "login-with-passkey")
    page.get_by_role("button", name="Sign in with a passkey").click()

    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_text("keyholder@example.com", exact=True)).to_be_visible()


# The browser client's passkey login, as a single-page app would run it.
HEADLESS_PASSKEY_LOGIN = """async () => {
  const api = "/_allauth/browser/v1";
  const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
  const begin = await (await fetch(`${api}/auth/webauthn/login`)).json();
  const credential = await webauthnJSON.get(begin.data.request_options);
  const done = await fetch(`${api}/auth/webauthn/login`, {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
    body: JSON.stringify({credential}),
  });
  return {status: done.status, body: await done.json()};
}"""


def test_a_passkey_signs_in_over_the_headless_api(tab):
    add_passkey(tab)
    page = tab.page
    page.goto("/accounts/login/")  # loads webauthn-json and sets the CSRF cookie

    answer = page.evaluate(HEADLESS_PASSKEY_LOGIN)

    assert answer["status"] == 200, answer
    assert answer["body"]["data"]["user"]["email"] == "keyholder@example.com"
    assert answer["body"]["meta"]["is_authenticated"] is True
