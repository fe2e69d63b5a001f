"""The account-takeover paths an outside attack pass found, each replayed as
the attack it stops: over HTTP against gunicorn, with the real Celery worker
and SMTP server.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from django.utils import timezone

from mail.models import OutgoingEmail
from tests.support.factories import PASSWORD, UserFactory
from tests.support.flows import found, link_in
from tests.support.processes import Web, service_env
from users.models import User

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("worker"),
]

ATTACKER_PASSWORD = "attacker-Chosen-secret-66"
VICTIM_PASSWORD = "victim-Own-passphrase-31"
CHOSEN_LATER = "chosen-After-verifying-48"
SIGNUP = "/accounts/signup/"
LOGIN = "/accounts/login/"
APP = "/_allauth/app/v1"


def sign_up(web: Web, session: requests.Session, email: str, password: str):
    return web.submit(
        session, SIGNUP, {"email": email, "password1": password, "password2": password}
    )


def log_in(web: Web, email: str, password: str) -> requests.Response:
    """A login from a fresh browser: 302 when it opens the account."""
    return web.submit(requests.Session(), LOGIN, {"login": email, "password": password})


def signed_in(response: requests.Response) -> bool:
    return response.status_code == HTTPStatus.FOUND and response.headers[
        "Location"
    ] == ("/")


def follow(web: Web, session: requests.Session, link: str) -> requests.Response:
    """Open an emailed link as its reader would, on the link's own host."""
    assert link.startswith(web.url), link
    return session.get(link, allow_redirects=False, timeout=30)


def confirm(web: Web, session: requests.Session, link: str) -> requests.Response:
    """Open a verification link and press its Confirm button."""
    return web.submit(session, urlsplit(link).path, {})


def choose_password(web: Web, session: requests.Session, response, password: str):
    """From the answer to a confirmation, through to a chosen password."""
    assert response.status_code == HTTPStatus.FOUND
    assert "/accounts/password/reset/key/" in response.headers["Location"]
    form = session.get(f"{web.url}{response.headers['Location']}", timeout=30)
    return web.submit(
        session,
        urlsplit(form.url).path,
        {"password1": password, "password2": password},
    )


# --- 1. Pre-registration ------------------------------------------------------


def test_a_password_typed_before_the_owner_verified_never_opens_the_account(
    web, mailbox
):
    attacker, victim = requests.Session(), requests.Session()
    assert sign_up(web, attacker, "victim@example.com", ATTACKER_PASSWORD).ok
    # The victim signs up too, later, and sees the usual page ...
    answer = sign_up(web, victim, "victim@example.com", VICTIM_PASSWORD)
    assert answer.headers["Location"] == "/accounts/confirm-email/"
    # ... and is mailed a way in, beside the verification the attacker caused.
    mails = mailbox.wait_for(2, to="victim@example.com")
    (exists,) = [m for m in mails if "already" in m.subject.lower()]
    link = link_in(exists.text, "/accounts/confirm-email/")

    response = confirm(web, victim, link)
    assert choose_password(web, victim, response, CHOSEN_LATER).status_code == (
        HTTPStatus.FOUND
    )

    assert not signed_in(log_in(web, "victim@example.com", ATTACKER_PASSWORD))
    assert signed_in(log_in(web, "victim@example.com", CHOSEN_LATER))
    assert User.objects.count() == 1


def already_exists_rows(email: str):
    return OutgoingEmail.objects.filter(to=email, kind="account_already_exists")


def test_a_signup_after_others_used_up_the_mails_is_still_answered_by_one(web, mailbox):
    """Signups with the address, before the owner's, have had this period's
    "account already exists" mail; the owner's signup is still answered by
    one, sent after it, and its link is a way in."""
    attacker, victim = requests.Session(), requests.Session()
    for _ in range(4):
        sign_up(web, attacker, "second.again@example.com", ATTACKER_PASSWORD)
    mailbox.wait_for(2, to="second.again@example.com")  # verification, and one
    signed_up_at = timezone.now()

    answer = sign_up(web, victim, "second.again@example.com", VICTIM_PASSWORD)

    assert answer.headers["Location"] == "/accounts/confirm-email/"
    waiting = already_exists_rows("second.again@example.com").filter(
        status=OutgoingEmail.Status.PENDING, created_at__gte=signed_up_at
    )
    assert waiting.exists()
    # The period ends: the held-back mail falls due, and the worker sends it.
    arrived = len(mailbox.to("second.again@example.com"))
    now = timezone.now()
    waiting.update(created_at=now, next_attempt_at=now)
    mails = mailbox.wait_for(arrived + 1, to="second.again@example.com")
    link = link_in(mails[-1].text, "/accounts/confirm-email/")

    response = confirm(web, victim, link)
    choose_password(web, victim, response, CHOSEN_LATER)
    assert signed_in(log_in(web, "second.again@example.com", CHOSEN_LATER))
    assert not signed_in(log_in(web, "second.again@example.com", ATTACKER_PASSWORD))


def test_a_flood_of_signups_with_a_taken_address_mails_once_a_period(web, mailbox):
    UserFactory.create(email="flooded@example.com")
    for _ in range(12):
        sign_up(web, requests.Session(), "flooded@example.com", ATTACKER_PASSWORD)

    # Rows are written in the requests, so they are final now: one a period
    # (20 minutes of the clock), the current one's sent at once, and at most
    # one held back for the next.
    period = 20 * 60
    rows = already_exists_rows("flooded@example.com")
    periods = [int(row.created_at.timestamp() // period) for row in rows]
    assert len(periods) == len(set(periods))
    assert 1 <= len(periods) <= 3
    assert rows.filter(created_at__gt=timezone.now()).count() <= 1


def test_the_attackers_own_verification_link_opened_by_the_owner_drops_their_password(
    web, mailbox
):
    attacker, victim = requests.Session(), requests.Session()
    sign_up(web, attacker, "owner@example.com", ATTACKER_PASSWORD)
    (verification,) = mailbox.wait_for(to="owner@example.com")

    response = confirm(
        web, victim, link_in(verification.text, "/accounts/confirm-email/")
    )
    choose_password(web, victim, response, CHOSEN_LATER)

    assert EmailAddress.objects.get(email="owner@example.com").verified
    assert not signed_in(log_in(web, "owner@example.com", ATTACKER_PASSWORD))
    assert signed_in(log_in(web, "owner@example.com", CHOSEN_LATER))


def test_a_reset_of_a_never_verified_account_verifies_it_for_the_mailbox_holder(
    web, mailbox
):
    sign_up(web, requests.Session(), "reset.first@example.com", ATTACKER_PASSWORD)
    (verification,) = mailbox.wait_for(to="reset.first@example.com")
    owner = requests.Session()
    web.submit(owner, "/accounts/password/reset/", {"email": "reset.first@example.com"})
    reset = link_in(
        mailbox.wait_for(2, to="reset.first@example.com")[-1].text,
        "/accounts/password/reset/key/",
    )
    choose_password(web, owner, follow(web, owner, reset), CHOSEN_LATER)

    assert EmailAddress.objects.get(email="reset.first@example.com").verified
    # The attacker's verification link, opened later, changes nothing.
    confirm(web, owner, link_in(verification.text, "/accounts/confirm-email/"))
    assert not signed_in(log_in(web, "reset.first@example.com", ATTACKER_PASSWORD))
    assert signed_in(log_in(web, "reset.first@example.com", CHOSEN_LATER))


def test_verifying_in_the_session_that_signed_up_keeps_the_password(web, mailbox):
    person = requests.Session()
    sign_up(web, person, "same.tab@example.com", VICTIM_PASSWORD)
    (verification,) = mailbox.wait_for(to="same.tab@example.com")

    response = confirm(
        web, person, link_in(verification.text, "/accounts/confirm-email/")
    )

    assert "/password/reset/" not in response.headers["Location"]
    assert signed_in(log_in(web, "same.tab@example.com", VICTIM_PASSWORD))


def test_over_the_api_a_verification_from_another_session_mails_a_new_password_link(
    web, mailbox
):
    def app(method: str, path: str, body: dict | None = None, token: str = ""):
        headers = {"X-Session-Token": token} if token else {}
        response = requests.request(
            method, f"{web.url}{APP}{path}", json=body, headers=headers, timeout=30
        )
        return response.status_code, response.json()

    app(
        "post",
        "/auth/signup",
        {"email": "app.victim@example.com", "password": ATTACKER_PASSWORD},
    )
    (verification,) = mailbox.wait_for(to="app.victim@example.com")
    key = found(r"/confirm-email/([^/\s]+)/", verification.text)
    # The victim's own app, in a session of its own, verifies.
    _status, pending = app(
        "post", "/auth/signup", {"email": "x@example.com", "password": VICTIM_PASSWORD}
    )
    other_session = pending["meta"]["session_token"]
    app("post", "/auth/email/verify", {"key": key}, other_session)

    status, _ = app(
        "post",
        "/auth/login",
        {"email": "app.victim@example.com", "password": ATTACKER_PASSWORD},
    )
    assert status == HTTPStatus.BAD_REQUEST
    mails = mailbox.wait_for(2, to="app.victim@example.com")
    assert "/accounts/password/reset/key/" in mails[-1].text


# --- 2. A stranger's unverified copy of an address ------------------------------


def test_an_address_a_stranger_added_unverified_never_opens_or_blocks_its_owner(
    web, mailbox
):
    UserFactory.create(email="attacker@example.com", password=ATTACKER_PASSWORD)
    attacker = requests.Session()
    web.submit(
        attacker,
        LOGIN,
        {"login": "attacker@example.com", "password": ATTACKER_PASSWORD},
    )
    web.submit(attacker, "/accounts/reauthenticate/", {"password": ATTACKER_PASSWORD})
    web.submit(
        attacker, "/accounts/email/", {"email": "target@example.com", "action_add": ""}
    )
    assert EmailAddress.objects.filter(email="target@example.com").count() == 1
    mailbox.wait_for(to="target@example.com")  # "confirm for attacker@"
    # It does not open the attacker's account: the password is simply wrong
    # for that address, and no verification goes out on the attempt ...
    answer = log_in(web, "target@example.com", ATTACKER_PASSWORD)
    assert answer.status_code == HTTPStatus.OK
    assert "errorlist" in answer.text

    # ... nor keep the owner from signing up ...
    owner = requests.Session()
    sign_up(web, owner, "target@example.com", VICTIM_PASSWORD)
    assert User.objects.filter(email="target@example.com").exists()
    # ... nor does a reset through it reach the attacker's account.
    web.submit(
        requests.Session(), "/accounts/password/reset/", {"email": "target@example.com"}
    )
    resets = [
        m
        for m in mailbox.wait_for(3, to="target@example.com")
        if "/password/reset/key/" in m.text
    ]
    assert len(resets) == 1
    uid = found(r"/password/reset/key/([0-9a-z]+)-", resets[0].text)
    assert int(uid, 36) == User.objects.get(email="target@example.com").pk

    # The owner verifies: the attacker's copy is gone, and they are told.
    signup_mail = next(
        m
        for m in mailbox.to("target@example.com")
        if "/confirm-email/" in m.text and "attacker@example.com" not in m.text
    )
    confirm(web, owner, link_in(signup_mail.text, "/accounts/confirm-email/"))
    (address,) = EmailAddress.objects.filter(email="target@example.com")
    assert address.verified
    assert address.user.email == "target@example.com"
    (notice,) = mailbox.wait_for(to="attacker@example.com")
    assert "target@example.com" in notice.text
    assert signed_in(log_in(web, "target@example.com", VICTIM_PASSWORD))


# --- 3. One mailbox, one account ------------------------------------------------

SAME_MAILBOX = [
    ("upper case", "FICTION@EXAMPLE.COM"),
    ("fullwidth letters", "ｆｉｃｔｉｏｎ@example.com"),
    ("fullwidth domain", "fiction@ｅｘａｍｐｌｅ.com"),
    ("ligature", "ﬁction@example.com"),
    ("ideographic full stop", "fiction@example。com"),
    ("fullwidth at sign", "fiction＠example.com"),
    ("trailing dot", "fiction@example.com."),
]


@pytest.mark.parametrize(
    ("case", "spelling"), SAME_MAILBOX, ids=[c for c, _ in SAME_MAILBOX]
)
def test_a_spelling_that_reaches_the_same_mailbox_makes_no_second_account(
    web, mailbox, case, spelling
):
    sign_up(web, requests.Session(), "fiction@example.com", VICTIM_PASSWORD)
    answer = sign_up(web, requests.Session(), spelling, ATTACKER_PASSWORD)

    assert answer.headers["Location"] == "/accounts/confirm-email/"
    assert list(User.objects.values_list("email", flat=True)) == ["fiction@example.com"]
    assert set(OutgoingEmail.objects.values_list("to", flat=True)) == {
        "fiction@example.com"
    }


def test_a_unicode_domain_and_its_punycode_are_one_mailbox(web, mailbox):
    sign_up(web, requests.Session(), "reader@bücher.example", VICTIM_PASSWORD)
    sign_up(web, requests.Session(), "reader@xn--bcher-kva.example", ATTACKER_PASSWORD)

    assert list(User.objects.values_list("email", flat=True)) == [
        "reader@xn--bcher-kva.example"
    ]


def test_plus_addresses_stay_separate_accounts(web, mailbox):
    sign_up(web, requests.Session(), "fiction@example.com", VICTIM_PASSWORD)
    sign_up(web, requests.Session(), "fiction+news@example.com", VICTIM_PASSWORD)

    assert User.objects.count() == 2


@pytest.mark.parametrize(
    "spelling",
    ["reader@exa_mple.com", "reader@-bad.example", "reader@a..example", "reader@"],
)
def test_an_address_without_a_canonical_form_is_a_form_error(web, spelling):
    answer = sign_up(web, requests.Session(), spelling, VICTIM_PASSWORD)

    assert answer.status_code == HTTPStatus.OK
    assert "errorlist" in answer.text
    assert not User.objects.exists()


def test_twelve_spellings_of_one_address_stay_under_its_mail_cap(web, mailbox):
    fullwidth = str.maketrans(
        "abcdefghijklmnopqrstuvwxyz",
        "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ",
    )
    local = "spelledout"
    spellings = [
        "".join(
            char.translate(fullwidth) if (variant >> i) & 1 else char
            for i, char in enumerate(local)
        )
        + "@example.com"
        for variant in range(1, 13)
    ]
    sign_up(web, requests.Session(), f"{local}@example.com", VICTIM_PASSWORD)
    for spelling in spellings:
        sign_up(web, requests.Session(), spelling, ATTACKER_PASSWORD)

    # One verification, and "already exists" once a period: this one's, and
    # one held back for the next (or, across a period's end, the next one's
    # too). Rows are written in the requests, so their count is final now.
    rows = OutgoingEmail.objects.filter(to=f"{local}@example.com")
    assert rows.filter(kind="verification").count() == 1
    assert 1 <= rows.filter(kind="account_already_exists").count() <= 3
    assert User.objects.count() == 1


# --- 4. The admin's back door ---------------------------------------------------


def test_admin_login_holds_the_per_account_lockout_for_every_client(web):
    """/admin/login/ is the site's login: once an account is locked out there,
    no client gets in through the admin either, not even with the password."""
    User.objects.create_superuser("boss@example.com", PASSWORD)
    for _ in range(5):
        log_in(web, "boss@example.com", "wrong-Guess-00")
    assert not signed_in(log_in(web, "boss@example.com", PASSWORD))  # locked

    for guess in [*(f"wrong-Guess-{n}" for n in range(10)), PASSWORD]:
        client = requests.Session()
        answer = web.submit(
            client, "/admin/login/", {"username": "boss@example.com", "password": guess}
        )
        # Sent to the site's login, authenticated by nothing.
        assert answer.status_code == HTTPStatus.FOUND
        assert answer.headers["Location"].startswith(LOGIN)
        assert "sessionid" not in client.cookies
        assert client.get(f"{web.url}/admin/", allow_redirects=False).status_code == (
            HTTPStatus.FOUND
        )
    locked = log_in(web, "boss@example.com", PASSWORD)
    assert locked.status_code == HTTPStatus.OK
    assert "Too many failed login attempts" in locked.text


# Hosts ALLOWED_HOSTS lets through: a port (which it ignores), another allowed
# name, another case. allauth keyed its failure count on the Host header.
OTHER_HOSTS = [
    "127.0.0.1:1",
    "127.0.0.1:2",
    "localhost:8443",
    "LOCALHOST",
    "testserver",
]


@pytest.fixture(scope="module")
def proxied_web(artifacts, django_db_setup, django_db_blocker) -> Iterator[Web]:
    """The service as it runs behind one proxy (DJANGO_TRUSTED_PROXY_COUNT=1),
    so X-Forwarded-For names the client and one test speaks from many."""
    server = Web(artifacts, service_env(DJANGO_TRUSTED_PROXY_COUNT="1")).start()
    yield server
    server.stop()


def elsewhere(n: int) -> dict[str, str]:
    """Headers of a request under another Host, from another client address."""
    return {
        "Host": OTHER_HOSTS[n % len(OTHER_HOSTS)],
        "X-Forwarded-For": f"203.0.113.{n + 1}",
    }


def test_a_locked_account_stays_locked_for_every_host_and_client(proxied_web):
    """Five failures lock an account, wherever they came from; after that no
    Host and no client address gets one more guess, on the login page, the
    admin's login or the API, and the right password opens nothing."""
    web = proxied_web
    UserFactory.create(email="locked@example.com")
    for n in range(5):
        web.submit(
            requests.Session(),
            LOGIN,
            {"login": "locked@example.com", "password": f"wrong-Guess-{n}"},
            elsewhere(n),
        )

    for n, guess in enumerate(["wrong-Guess-5"] * 5 + [PASSWORD] * 5, start=5):
        headers = elsewhere(n)
        page = web.submit(
            requests.Session(),
            LOGIN,
            {"login": "locked@example.com", "password": guess},
            headers,
        )
        assert page.status_code == HTTPStatus.OK, headers
        assert "Too many failed login attempts" in page.text, headers

        admin = requests.Session()
        answer = web.submit(
            admin,
            "/admin/login/",
            {"username": "locked@example.com", "password": guess},
            headers,
        )
        assert answer.headers["Location"].startswith(LOGIN), headers
        assert "sessionid" not in admin.cookies, headers

        api = requests.post(
            f"{web.url}{APP}/auth/login",
            json={"email": "locked@example.com", "password": guess},
            headers=headers,
            timeout=30,
        )
        assert api.status_code == HTTPStatus.BAD_REQUEST, headers
        assert api.json()["errors"][0]["code"] == "too_many_login_attempts"


def test_failures_spelled_another_way_count_against_the_same_account(proxied_web):
    web = proxied_web
    UserFactory.create(email="spelled@example.com")
    for n, spelling in enumerate(
        ["SPELLED@example.com", "ｓｐｅｌｌｅｄ@example.com", "spelled@EXAMPLE.COM."]
        + ["spelled@example.com"] * 2
    ):
        web.submit(
            requests.Session(),
            LOGIN,
            {"login": spelling, "password": f"wrong-Guess-{n}"},
            elsewhere(n),
        )

    locked = web.submit(
        requests.Session(),
        LOGIN,
        {"login": "spelled@example.com", "password": PASSWORD},
        elsewhere(9),
    )
    assert "Too many failed login attempts" in locked.text


# --- 6. Emailed links and the request's port ------------------------------------


def forged_reset(web: Web, email: str) -> None:
    web.submit(
        requests.Session(),
        "/accounts/password/reset/",
        {"email": email},
        {"Host": "127.0.0.1:6666", "Referer": f"{web.url}/"},
    )


def test_emailed_links_use_the_configured_origin_whatever_the_host_port(
    web, mailbox, user
):
    forged_reset(web, user.email)

    (message,) = mailbox.wait_for(to=user.email)
    link = link_in(message.text, "/accounts/password/reset/key/")
    assert link.startswith(f"{web.url}/")
    assert ":6666" not in message.text + (message.html or "")


def test_without_a_configured_origin_links_drop_the_requests_port(
    mailbox, user, artifacts
):
    server = Web(artifacts, service_env(DJANGO_PUBLIC_URL="")).start()
    try:
        forged_reset(server, user.email)
        (message,) = mailbox.wait_for(to=user.email)
    finally:
        server.stop()

    link = link_in(message.text, "/accounts/password/reset/key/")
    assert link.startswith("http://127.0.0.1/accounts/")


# --- 7. Deeply nested JSON ------------------------------------------------------

# Operations whose contract defines a JSON body ...
JSON_BODIES = [
    ("post", f"{APP}/auth/login"),
    ("post", f"{APP}/auth/signup"),
    ("post", f"{APP}/auth/password/request"),
    ("post", f"{APP}/tokens/refresh"),
    ("post", "/_allauth/browser/v1/account/email"),
]
# ... and operations that define none, whose body allauth parses all the same.
NO_BODIES = [
    ("delete", f"{APP}/auth/session"),
    ("post", f"{APP}/auth/code/resend"),
    ("delete", f"{APP}/account/authenticators/totp"),
    ("post", f"{APP}/account/authenticators/recovery-codes"),
    ("delete", "/_allauth/browser/v1/auth/session"),
    ("delete", "/api/me"),
    ("post", "/api/token/refresh"),
]


def send_json(web: Web, method: str, path: str, body: str) -> requests.Response:
    """Send a raw JSON body as a client of `path` would, CSRF token included
    for the browser client."""
    session, headers = requests.Session(), {"Content-Type": "application/json"}
    if path.startswith("/_allauth/browser/"):
        session.get(f"{web.url}/_allauth/browser/v1/auth/session", timeout=30)
        headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session.request(
        method, f"{web.url}{path}", data=body, headers=headers, timeout=30
    )


def logged_errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.search(r"\bERROR\b", line)]


@pytest.mark.parametrize(("method", "path"), JSON_BODIES + NO_BODIES)
@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_is_a_400_in_allauths_shape(web, method, path, depth):
    log_before = len(web.log())
    body = '{"email": ' + "[" * depth + "]" * depth + "}"

    response = send_json(web, method, path, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"][0]["code"] == "too_deep"
    logged = web.log()[log_before:]
    assert "Traceback" not in logged
    assert logged_errors(logged) == []


@pytest.mark.parametrize(("method", "path"), NO_BODIES)
def test_a_body_where_none_is_defined_is_otherwise_left_to_the_operation(
    web, method, path
):
    shallow = send_json(web, method, path, '{"ignored": [[["deep enough"]]]}')
    garbage = send_json(web, method, path, "[[[not json")

    # What each answers without a body: mostly, that nobody is signed in.
    assert shallow.status_code == send_json(web, method, path, "").status_code
    # The operation's own refusal, in allauth's shape: a 400 for JSON it
    # cannot read, or whatever it answers before reading the body.
    assert HTTPStatus.BAD_REQUEST <= garbage.status_code < 500
    assert garbage.json()["status"] == garbage.status_code


def test_json_nested_up_to_the_limit_reaches_validation(web):
    body = '{"email": ' + "[" * 31 + "]" * 31 + "}"

    response = send_json(web, "post", f"{APP}/auth/login", body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"][0]["code"] == "invalid_type"


# --- 8. Cacheable secrets -------------------------------------------------------


def no_store(response: requests.Response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


def test_tokens_and_the_people_they_belong_to_are_never_cached(web, mailbox, user):
    session = requests.Session()
    login = session.post(
        f"{web.url}{APP}/auth/login",
        json={"email": user.email, "password": PASSWORD},
        timeout=30,
    )
    access, refresh = (
        login.json()["meta"]["access_token"],
        login.json()["meta"]["refresh_token"],
    )
    refreshed = session.post(
        f"{web.url}{APP}/tokens/refresh", json={"refresh_token": refresh}, timeout=30
    )
    cookie_login = session.post(
        f"{web.url}{APP}/auth/login",
        json={"email": user.email, "password": PASSWORD},
        headers={"X-Refresh-Token-Transport": "cookie"},
        timeout=30,
    )
    cookie_refresh = requests.post(
        f"{web.url}/api/token/refresh",
        cookies={"refresh_token": cookie_login.cookies.get("refresh_token") or ""},
        timeout=30,
    )
    me = session.get(
        f"{web.url}/api/me", headers={"Authorization": f"Bearer {access}"}, timeout=30
    )

    for response in (login, refreshed, cookie_login, me):
        assert response.ok, response.text
        assert no_store(response), response.url
    assert cookie_refresh.ok, cookie_refresh.text
    assert no_store(cookie_refresh)


def test_pages_with_keys_or_a_signed_in_person_are_never_cached(web, mailbox, user):
    browser = requests.Session()
    web.submit(browser, LOGIN, {"login": user.email, "password": PASSWORD})
    for path in ["/", "/profile/", "/accounts/email/", "/accounts/password/change/"]:
        page = browser.get(f"{web.url}{path}", timeout=30)
        assert page.ok
        assert no_store(page), path

    stranger = requests.Session()
    sign_up(web, stranger, "keys@example.com", VICTIM_PASSWORD)
    web.submit(stranger, "/accounts/password/reset/", {"email": user.email})
    confirm_link = link_in(
        mailbox.wait_for(to="keys@example.com")[0].text, "/accounts/confirm-email/"
    )
    reset_link = link_in(
        mailbox.wait_for(to=user.email)[0].text, "/accounts/password/reset/key/"
    )
    assert no_store(follow(web, requests.Session(), confirm_link))
    reset_page = requests.Session()
    assert no_store(follow(web, reset_page, reset_link))


def test_public_pages_keep_their_caching(web):
    home = requests.get(f"{web.url}/", timeout=30)
    spec = requests.get(f"{web.url}/_allauth/openapi.json", timeout=30)
    style = requests.get(f"{web.url}/static/css/site.css", timeout=30)

    for response in (home, spec, style):
        assert response.ok, response.url
        assert not no_store(response), response.url
    assert json.loads(spec.text)["openapi"]
