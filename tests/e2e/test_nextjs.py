"""The Next.js reference client (clients/nextjs/) in a real browser: `next
build` and `next start` against gunicorn, the real Celery worker and SMTP
server, with the emailed links leading to the client (HEADLESS_FRONTEND_URLS).

The client reaches the service through its own origin (Next's rewrites), at
http://localhost, which Chromium treats as a secure context: the refresh
token's Secure, HttpOnly, SameSite=Strict cookie works there as on https.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pyotp
import pytest
import requests
from playwright.sync_api import expect

from tests.support.browser import Visit
from tests.support.factories import PASSWORD, UserFactory, fresh_totp_code, give_totp
from tests.support.flows import NEW_PASSWORD, link_in
from tests.support.processes import NextApp, NextBuild, Web, free_port, service_env

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Page

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("worker"),
]

APP = "/_allauth/app/v1"
# Paths whose JSON 4xx answers are allauth's protocol (tests/support/browser.py).
API_PATHS = ("/_allauth/", "/api/", "/session/")
REFRESH = "/api/token/refresh"
JS_BUDGET = 150_000  # bytes of gzipped JavaScript for a first visit to /signin


@pytest.fixture(scope="module")
def ports() -> tuple[int, int]:
    """The service's port and the client's: each must know the other's."""
    return free_port(), free_port()


@pytest.fixture(scope="module")
def nextjs(artifacts, ports) -> Iterator[NextApp]:
    """The client, built once for this module against the service's port."""
    service_port, client_port = ports
    build = NextBuild(artifacts, f"http://127.0.0.1:{service_port}").build()
    app = NextApp(artifacts, build, port=client_port).start()
    yield app
    app.stop()
    build.remove()


@pytest.fixture(scope="module")
def service(
    artifacts, ports, nextjs, django_db_setup, django_db_blocker
) -> Iterator[Web]:
    """gunicorn, whose emails link to the client's pages."""
    service_port, _ = ports
    frontend = {
        "account_confirm_email": f"{nextjs.url}/verify/{{key}}",
        "account_reset_password_from_key": f"{nextjs.url}/reset/{{key}}",
        "account_reset_password": f"{nextjs.url}/forgot-password",
        "account_signup": f"{nextjs.url}/signup",
    }
    env = service_env(HEADLESS_FRONTEND_URLS=json.dumps(frontend))
    server = Web(artifacts, env, port=service_port).start()
    yield server
    server.stop()


@pytest.fixture
def tab(browser, nextjs, service) -> Iterator[Visit]:
    visit = Visit(browser, nextjs.url, api_paths=API_PATHS)
    yield visit
    visit.close()


def fill(page: Page, label: str, value: str) -> None:
    page.get_by_label(label, exact=True).fill(value)


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in on the client's page; lands on the signed-in page."""
    page.goto("/signin")
    fill(page, "Email address", email)
    fill(page, "Password", password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_test_id("me-email")).to_have_text(email)


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def notice(page: Page):
    return page.get_by_role("main").get_by_role("status")


def refresh_cookie(tab: Visit) -> dict | None:
    found = [c for c in tab.context.cookies() if c["name"] == "refresh_token"]
    return dict(found[0]) if found else None


def storage(page: Page) -> str:
    """Everything this origin keeps in localStorage and sessionStorage."""
    return page.evaluate(
        "() => JSON.stringify([{...localStorage}, {...sessionStorage}])"
    )


def test_sign_up_verify_sign_in_reload_sign_out_reset_and_sign_in_again(
    tab, nextjs, service, mailbox, artifacts
):
    page = tab.page
    email = "walker@example.com"

    sign_up_and_verify(tab, nextjs, mailbox, artifacts, email)
    access_token = sign_in_after_a_wrong_password(tab, email, artifacts)
    tokens_are_where_they_belong(tab, access_token)

    # A reload forgets the access token; the refresh cookie brings a new one.
    with page.expect_response(f"**{REFRESH}") as refreshed:
        page.reload()
    assert refreshed.value.status == 200
    expect(page.get_by_test_id("me-email")).to_have_text(email)
    assert refreshed.value.json()["data"]["access_token"] not in storage(page)

    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin\?reason=signed-out$"))
    expect(notice(page)).to_have_text("You have signed out.")
    assert refresh_cookie(tab) is None
    gone = requests.get(
        f"{service.url}/api/me",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=30,
    )
    assert gone.status_code == 401
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/signin\?reason=required$"))

    reset_the_password(tab, mailbox, artifacts, email)
    sign_in(page, email, NEW_PASSWORD)

    assert tab.api_refusals == [
        ("POST", "/session/signup", 401),  # verify_email pending
        ("POST", "/session/verify", 401),  # verified; now sign in
        ("POST", f"{APP}/auth/login", 400),  # the wrong password
        ("DELETE", f"{APP}/auth/session", 401),  # signed out
        ("POST", REFRESH, 401),  # /account, signed out
        ("POST", f"{APP}/auth/password/reset", 401),  # reset; now sign in
    ]


def sign_up_and_verify(tab: Visit, nextjs: NextApp, mailbox, artifacts, email: str):
    page = tab.page
    page.goto("/signup")
    tab.screenshot(artifacts, "nextjs-signup")
    fill(page, "Email address", email)
    fill(page, "Password", PASSWORD)
    page.get_by_role("button", name="Sign up", exact=True).click()
    expect(heading(page)).to_have_text("Check your inbox")
    expect(notice(page)).to_contain_text(email)

    (verification,) = mailbox.wait_for(to=email)
    link = link_in(verification.text, "/verify/")
    assert link.startswith(f"{nextjs.url}/verify/")
    page.goto(link)
    expect(page.get_by_text(f"Verify {email} to finish signing up.")).to_be_visible()
    tab.screenshot(artifacts, "nextjs-verify")
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(notice(page)).to_have_text(
        "Your email address is verified. You can sign in now."
    )


def sign_in_after_a_wrong_password(tab: Visit, email: str, artifacts) -> str:
    """A wrong password gets allauth's error beside the password field, and
    the password appears nowhere on the page; then the right one. The access
    token the service handed to the page."""
    page = tab.page
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    expect(heading(page)).to_have_text("Sign in")
    fill(page, "Email address", email)
    fill(page, "Password", "not-My-password-17")
    page.get_by_role("button", name="Sign in", exact=True).click()
    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_accessible_description(re.compile("not correct"))
    expect(password).to_be_focused()
    assert "not-My-password-17" not in page.content()

    fill(page, "Password", PASSWORD)
    with page.expect_response(f"**{APP}/auth/login") as login:
        page.get_by_role("button", name="Sign in", exact=True).click()
    meta = login.value.json()["meta"]
    assert "refresh_token" not in meta  # it came as the cookie
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_test_id("me-email")).to_have_text(email)
    tab.screenshot(artifacts, "nextjs-account")
    return meta["access_token"]


def tokens_are_where_they_belong(tab: Visit, access_token: str) -> None:
    """The access token in memory only; the refresh token in the service's
    cookie, out of every script's reach."""
    page = tab.page
    cookie = refresh_cookie(tab)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["secure"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == REFRESH
    assert "refresh_token" not in page.evaluate("document.cookie")
    assert access_token not in storage(page)
    assert "eyJ" not in storage(page)  # no JWT at all


def reset_the_password(tab: Visit, mailbox, artifacts, email: str) -> None:
    page = tab.page
    page.get_by_role("link", name="Forgot your password?").click()
    expect(heading(page)).to_have_text("Forgot your password?")
    fill(page, "Email address", email)
    page.get_by_role("button", name="Send link").click()
    expect(notice(page)).to_contain_text(f"We've sent an email to {email}.")
    reset_mail = mailbox.wait_for(2, to=email)[-1]
    page.goto(link_in(reset_mail.text, "/reset/"))
    tab.screenshot(artifacts, "nextjs-reset")
    fill(page, "New password", NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(re.compile(r"/signin\?reason=reset$"))
    expect(notice(page)).to_contain_text("Your password is changed.")


def test_signup_errors_stand_beside_their_field_and_the_password_is_never_shown(
    tab,
):
    page = tab.page
    page.goto("/signup")
    fill(page, "Email address", "weak@example.com")
    fill(page, "Password", "38271946")
    page.get_by_role("button", name="Sign up", exact=True).click()

    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(re.compile("entirely numeric"))
    expect(page.get_by_label("Email address")).not_to_have_attribute(
        "aria-invalid", "true"
    )
    assert "38271946" not in page.content()


def test_a_taken_address_signs_up_exactly_as_a_fresh_one(tab, mailbox):
    UserFactory.create(email="taken@example.com")
    page = tab.page
    answers, pages = [], []
    for email in ("fresh@example.com", "taken@example.com"):
        page.goto("/signup")
        fill(page, "Email address", email)
        fill(page, "Password", PASSWORD)
        with page.expect_response("**/session/signup") as signup:
            page.get_by_role("button", name="Sign up", exact=True).click()
        expect(heading(page)).to_have_text("Check your inbox")
        answers.append((signup.value.status, signup.value.json()))
        pages.append(page.get_by_role("main").inner_text().replace(email, "…"))

    assert answers[0] == answers[1]
    assert pages[0] == pages[1]
    assert "session_token" not in json.dumps(answers)  # in the HttpOnly cookie
    # The owner of the taken address is told, by email.
    mailbox.wait_for(to="taken@example.com")


def test_an_account_with_an_authenticator_app_signs_in_with_its_code(tab, artifacts):
    user = UserFactory.create(email="two.step@example.com")
    secret = give_totp(user)
    page = tab.page
    page.goto("/signin")
    fill(page, "Email address", user.email)
    fill(page, "Password", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signin/second-factor$"))
    expect(heading(page)).to_have_text("Two-step verification")
    tab.screenshot(artifacts, "nextjs-second-factor")

    code = fresh_totp_code(secret)
    totp = pyotp.TOTP(secret)
    now = time.time()
    near = {totp.at(now, counter_offset=offset) for offset in (-1, 0, 1)}
    wrong = next(c for c in ("123456", "654321", "111111") if c not in near)
    fill(page, "Authenticator code", wrong)
    page.get_by_role("button", name="Sign in", exact=True).click()
    field = page.get_by_label("Authenticator code", exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(r"\w"))

    fill(page, "Authenticator code", code)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_test_id("me-email")).to_have_text(user.email)
    assert tab.api_refusals == [
        ("POST", f"{APP}/auth/login", 401),  # mfa_authenticate pending
        ("POST", f"{APP}/auth/2fa/authenticate", 400),  # the wrong code
    ]


@pytest.mark.parametrize("ending", ["revoked", "expired"])
def test_an_ended_refresh_cookie_sends_to_sign_in_once_with_a_message(
    tab, service, ending
):
    user = UserFactory.create()
    page = tab.page
    sign_in(page, user.email)
    cookie = refresh_cookie(tab)
    assert cookie is not None
    if ending == "revoked":
        # Someone else presents this refresh token first: the browser's copy
        # is then a rotated one, and presenting it revokes the session.
        stolen = requests.post(
            f"{service.url}{REFRESH}",
            cookies={"refresh_token": cookie["value"]},
            timeout=30,
        )
        assert stolen.status_code == 200
    else:
        tab.context.clear_cookies(name="refresh_token")  # past its Max-Age
    refreshes: list[str] = []
    page.on("request", lambda r: refreshes.append(r.url) if REFRESH in r.url else None)

    page.reload()

    expect(page).to_have_url(re.compile(r"/signin\?reason=ended$"))
    expect(notice(page)).to_contain_text("Your sign-in has ended")
    page.wait_for_timeout(1000)  # nothing more happens: no loop
    assert len(refreshes) == 1
    expect(page).to_have_url(re.compile(r"/signin\?reason=ended$"))


def test_signing_out_in_a_second_tab_signs_the_first_out_at_its_next_request(tab):
    user = UserFactory.create()
    first = tab.page
    sign_in(first, user.email)
    second = tab.new_tab()
    second.goto("/account")
    expect(second.get_by_test_id("me-email")).to_have_text(user.email)

    second.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(second).to_have_url(re.compile(r"/signin\?reason=signed-out$"))

    calls: list[tuple[str, str]] = []
    first.on("request", lambda r: calls.append((r.method, urlsplit(r.url).path)))
    first.get_by_role("button", name="Refresh").click()
    expect(first).to_have_url(re.compile(r"/signin\?reason=ended$"))
    expect(notice(first)).to_contain_text("Your sign-in has ended")
    assert [(method, path) for method, path in calls if path.startswith("/api/")] == [
        ("GET", "/api/me"),  # 401: the session has ended
        ("POST", REFRESH),  # 401: so has the cookie
    ]


def test_the_access_token_is_refreshed_before_it_expires(tab):
    user = UserFactory.create()
    page = tab.page
    page.clock.install()
    sign_in(page, user.email)

    # Access tokens last 5 minutes; the client refreshes a minute before.
    with page.expect_response(f"**{REFRESH}") as refreshed:
        page.clock.fast_forward("04:01")
    assert refreshed.value.status == 200

    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url) if "/api/" in r.url else None)
    with page.expect_response("**/api/me") as me:
        page.get_by_role("button", name="Refresh").click()
    assert me.value.status == 200
    assert [url for url in calls if REFRESH in url] == []  # the new token served


def test_the_language_switch_shows_korean_and_the_service_answers_in_korean(
    tab, artifacts
):
    page = tab.page
    page.goto("/signin")
    page.get_by_role("button", name="한국어").click()
    expect(heading(page)).to_have_text("로그인")
    expect(page.locator("html")).to_have_attribute("lang", "ko")

    fill(page, "이메일 주소", "nobody@example.com")
    fill(page, "비밀번호", "not-My-password-17")
    page.get_by_role("button", name="로그인", exact=True).click()
    password = page.get_by_label("비밀번호", exact=True)
    expect(password).to_have_accessible_description(re.compile("[가-힣]"))
    tab.screenshot(artifacts, "nextjs-signin-ko")

    page.reload()  # the choice is kept
    expect(heading(page)).to_have_text("로그인")


def test_a_service_that_is_down_gets_a_readable_error_not_a_blank_page(tab, service):
    page = tab.page
    page.goto("/signin")
    service.stop()
    try:
        fill(page, "Email address", "anyone@example.com")
        fill(page, "Password", PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("main").get_by_role("alert")).to_contain_text(
            "The accounts service is not answering right now."
        )
        page.goto("/account")
        expect(page.get_by_role("main").get_by_role("alert")).to_contain_text(
            "The accounts service is not answering right now."
        )
        expect(page.get_by_role("button", name="Try again")).to_be_visible()
    finally:
        service.start()
    # Next's proxy answers 500 for each call it could not pass on, and
    # Chromium logs each: those, and nothing else, went wrong.
    assert tab.problems
    assert all(
        re.match(r"Failed to load resource: .* status of 500 .*/(_allauth|api)/", p)
        for p in tab.problems
    ), tab.problems
    tab.problems.clear()


def test_the_sign_in_page_loads_under_150_kb_of_javascript_gzipped(nextjs, artifacts):
    size = nextjs.first_load_js("/signin")
    (artifacts / "nextjs-first-load-js.txt").write_text(f"/signin {size} bytes\n")
    assert size < JS_BUDGET, f"/signin loads {size} bytes of gzipped JavaScript"
