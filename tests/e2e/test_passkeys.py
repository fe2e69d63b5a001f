"""Passkeys in a real browser: Chromium's virtual authenticator (the CDP
WebAuthn domain) against the service over TLS at https://localhost, which
is a secure context and a relying party id WebAuthn accepts."""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from mail.models import OutgoingEmail
from tests.support.browser import Visit, field, log_in
from tests.support.factories import PASSWORD, UserFactory
from tests.support.processes import Web, service_env

if TYPE_CHECKING:
    from collections.abc import Iterator

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.django_db(transaction=True)

# The home page, and not any other path ending in a slash.
HOME = re.compile(r"^https://localhost:\d+/$")


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

    page.wait_for_url(HOME)
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


# --- Refused assertions, and the limits they count toward ----------------------------

# A browser-client call from the page: (status, JSON body); the CSRF token is
# read afresh each time, since signing in rotates it.
CALL = """
const api = "/_allauth/browser/v1";
const call = async (method, path, body) => {
  const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
  const r = await fetch(api + path, {
    method,
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {status: r.status, body: await r.json()};
};
const unknown = (credential) => ({
  ...credential, id: "AAAAAAAAAAAAAAAAAAAAAA", rawId: "AAAAAAAAAAAAAAAAAAAAAA",
});
"""

PASSKEY_LOGIN_REPLAYED = (
    "async () => {"
    + CALL
    + """
  const options = async () =>
    (await call("GET", "/auth/webauthn/login")).body.data.request_options;
  const credential = await webauthnJSON.get(await options());
  const first = await call("POST", "/auth/webauthn/login", {credential});
  await call("DELETE", "/auth/session");
  await options();  // a fresh challenge: the old assertion answers none
  const replayed = await call("POST", "/auth/webauthn/login", {credential});
  await options();
  const forged = await call("POST", "/auth/webauthn/login",
                            {credential: unknown(credential)});
  const more = [];
  for (let n = 0; n < 8; n++) {
    await options();
    more.push((await call("POST", "/auth/webauthn/login", {credential})).status);
  }
  const fresh = await webauthnJSON.get(await options());
  const last = await call("POST", "/auth/webauthn/login", {credential: fresh});
  return {first, replayed, forged, more, last};
}"""
)

SECOND_FACTOR_REPLAYED = (
    "async ([email, password]) => {"
    + CALL
    + """
  const signIn = async () => call("POST", "/auth/login", {email, password});
  const options = async () =>
    (await call("GET", "/auth/webauthn/authenticate")).body.data.request_options;
  await signIn();
  const credential = await webauthnJSON.get(await options());
  const first = await call("POST", "/auth/webauthn/authenticate", {credential});
  await call("DELETE", "/auth/session");
  const pending = await signIn();
  const refused = [];
  for (let n = 0; n < 5; n++) {
    await options();
    const guess = n % 2 ? unknown(credential) : credential;
    const answer = await call(
      "POST", "/auth/webauthn/authenticate", {credential: guess});
    refused.push(answer);
  }
  const fresh = await webauthnJSON.get(await options());
  const last = await call("POST", "/auth/webauthn/authenticate", {credential: fresh});
  return {first, pending, refused, last};
}"""
)


def expect_api_refusals(tab: Visit) -> None:
    """The refusals the test provokes show in the console as failed requests
    to the API: those, and only those, are no problem of the page's."""
    tab.problems[:] = [p for p in tab.problems if "/_allauth/browser/v1/" not in p]


def errors_of(answer: dict) -> list[str]:
    return [e["code"] for e in answer["body"].get("errors", [])]


def test_a_replayed_or_unknown_passkey_is_refused_and_counts_toward_the_limit(tab):
    add_passkey(tab)
    page = tab.page
    page.goto("/accounts/login/")

    answer = page.evaluate(PASSKEY_LOGIN_REPLAYED)
    expect_api_refusals(tab)

    assert answer["first"]["status"] == 200, answer["first"]
    for refused in (answer["replayed"], answer["forged"]):
        assert refused["status"] == 400, refused
        (error,) = refused["body"]["errors"]
        assert error["code"] == "incorrect_code"
        assert error["param"] == "credential"
        assert error["message"]  # a sentence a person can read
    # Passkey logins are limited per client, 10 a minute, whatever their
    # outcome: the last replays and then even a good assertion are refused.
    assert answer["more"] == [400] * 7 + [429]
    assert answer["last"]["status"] == 429


def test_a_replayed_second_factor_counts_toward_the_accounts_login_limit(tab):
    add_passkey(tab)
    page = tab.page
    page.goto("/accounts/login/")

    answer = page.evaluate(SECOND_FACTOR_REPLAYED, ["keyholder@example.com", PASSWORD])
    expect_api_refusals(tab)

    assert answer["first"]["status"] == 200, answer["first"]
    assert answer["pending"]["status"] == 401
    for refused in answer["refused"]:
        assert refused["status"] == 400, refused
        assert errors_of(refused) == ["incorrect_code"]
    # Five wrong answers for this account: a good one is refused too, as
    # after five wrong passwords or codes.
    assert answer["last"]["status"] == 400
    assert errors_of(answer["last"]) == ["too_many_login_attempts"]


# --- Managing keys on the pages ----------------------------------------------------


def confirm_with_the_passkey(page) -> None:
    """Asked to reauthenticate: choose the security key, which the virtual
    authenticator answers."""
    page.get_by_role("link", name="Use a security key").click()
    page.wait_for_load_state("load")
    with page.expect_navigation():
        page.get_by_role("button", name="Use a security key").click()


def test_list_rename_and_remove_a_passkey_on_the_pages(tab, staff_client):
    add_passkey(tab)
    page = tab.page
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(HOME)

    page.goto("/accounts/2fa/webauthn/")
    row = page.get_by_role("row", name=re.compile("Laptop passkey"))
    expect(row).to_contain_text("Passkey")
    row.get_by_role("link", name="Edit").click()
    # A sensitive change: signing in moments ago does not count; the key does.
    assert "/reauthenticate/" in page.url
    confirm_with_the_passkey(page)
    field(page, "Name").fill("Work laptop")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    row = page.get_by_role("row", name=re.compile("Work laptop"))
    expect(row).to_be_visible()
    (key,) = Authenticator.objects.filter(type="webauthn")
    assert key.wrap().name == "Work laptop"
    # Staff see the key by name, and nothing of its credential.
    admin = staff_client.get(f"/admin/users/user/{key.user_id}/change/")
    assert "Work laptop" in admin.content.decode()
    assert not [v for v in credential_values(key) if v in admin.content.decode()]

    row.get_by_role("link", name="Remove").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Remove").click()

    expect(page.get_by_text("No security keys have been added.")).to_be_visible()
    assert not Authenticator.objects.filter(type="webauthn").exists()


def credential_values(key: Authenticator) -> list[str]:
    """The credential's parts (id, public key, attestation), each long enough
    that finding it anywhere cannot be chance."""
    found: list[str] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and len(value) >= 16:
            found.append(value)

    walk(key.data["credential"])
    return found


# --- Adding a passkey over the browser client --------------------------------------

HEADLESS_ADD_PASSKEY = (
    "async (password) => {"
    + CALL
    + """
  const reauthenticated = await call("POST", "/auth/reauthenticate", {password});
  const begin = await call("GET", "/account/authenticators/webauthn?passwordless");
  const credential = await webauthnJSON.create(begin.body.data.creation_options);
  const added = await call("POST", "/account/authenticators/webauthn",
                           {name: "Phone passkey", credential, passwordless: true});
  return {reauthenticated, added};
}"""
)


def test_a_passkey_is_added_over_the_headless_api(tab, tls_web, staff_client):
    UserFactory.create(email="apikeys@example.com")
    page = tab.page
    page.goto("/accounts/login/")
    script = page.locator("script[src*='webauthn-json']").get_attribute("src")
    log_in(page, "apikeys@example.com")
    page.goto("/profile/")
    page.add_script_tag(url=script)

    answer = page.evaluate(HEADLESS_ADD_PASSKEY, PASSWORD)

    assert answer["reauthenticated"]["status"] == 200, answer
    assert answer["added"]["status"] == 200, answer["added"]
    assert answer["added"]["body"]["data"]["name"] == "Phone passkey"
    (key,) = Authenticator.objects.filter(type="webauthn")
    assert key.wrap().is_passwordless is True
    # It signs in alone.
    page.goto("/accounts/logout/")
    page.get_by_role("button", name="Sign Out").click()
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(HOME)
    expect(page.get_by_text("apikeys@example.com", exact=True)).to_be_visible()
    # Its credential is nowhere but its row: not the log, the outbox or the
    # admin.
    parts = credential_values(key)
    assert parts
    elsewhere = {
        "web log": tls_web.log(),
        "outbox": json.dumps(list(OutgoingEmail.objects.values()), default=str),
        "admin": staff_client.get(
            f"/admin/users/user/{key.user_id}/change/"
        ).content.decode(),
    }
    for place, text in elsewhere.items():
        assert not [p for p in parts if p in text], place
