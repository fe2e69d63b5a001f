"""The security activity log: what is written, what a person reads back, and
what it never holds."""

from __future__ import annotations

import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.usersessions.models import UserSession
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activity.events import pseudonym, pseudonymise, record
from activity.models import Event, KnownDevice
from activity.tasks import purge_old_events
from mail.models import OutgoingEmail
from tests.support.api import bearer, call, login, tokens_of
from tests.support.factories import (
    PASSWORD,
    UserFactory,
    fresh_totp_code,
    give_recovery_codes,
    give_totp,
)
from tests.support.flows import NEW_PASSWORD, found, link_in, signup
from users.models import User

pytestmark = pytest.mark.django_db

Type = Event.Type


def types_of(user: User) -> list[str]:
    return list(Event.objects.filter(user=user).values_list("type", flat=True))


def sign_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_signup_and_verification_are_recorded(client):
    signup(client, "fresh@example.com")
    user = User.objects.get(email="fresh@example.com")
    address = EmailAddress.objects.get(user=user)
    key = EmailConfirmationHMAC(address).key
    client.post(reverse("account_confirm_email", args=[key]))

    assert types_of(user) == [Type.EMAIL_VERIFIED, Type.SIGNUP]
    verified = Event.objects.get(user=user, type=Type.EMAIL_VERIFIED)
    assert verified.details == {"email": "fresh@example.com"}
    assert verified.ip == "127.0.0.1"


def test_sign_in_failure_sign_in_and_sign_out_are_recorded_newest_first(user):
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
    sign_in(client, user.email, "not-the-password")
    sign_in(client, user.email)
    client.post(reverse("account_logout"))

    assert types_of(user) == [Type.LOGOUT, Type.LOGIN, Type.LOGIN_FAILED]
    signed_in = Event.objects.get(user=user, type=Type.LOGIN)
    assert signed_in.details == {"methods": ["password"]}
    assert "Firefox/140.0" in signed_in.user_agent


def test_a_failed_sign_in_at_an_unknown_address_is_no_ones_event(db):
    sign_in(Client(), "nobody@example.com", "whatever-it-is-1")

    assert not Event.objects.exists()


def test_password_change_and_reset_are_recorded(user):
    client = Client()
    client.force_login(user)
    client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    Client().post(reverse("account_reset_password"), {"email": user.email})
    reset = OutgoingEmail.objects.get(to=user.email, kind="password_reset")
    key_url = link_in(reset.body_text, "/password/reset/key/")
    anonymous = Client()
    form = anonymous.get(key_url.removeprefix("http://testserver"))["Location"]
    anonymous.post(form, {"password1": PASSWORD, "password2": PASSWORD})

    assert Type.PASSWORD_CHANGED in types_of(user)
    assert Type.PASSWORD_RESET in types_of(user)


def test_no_event_and_no_api_answer_holds_a_secret(user):
    client = Client()
    sign_in(client, user.email, "Wrong-but-typed-1")
    _, body = login(Client(), user.email)
    access, refresh = tokens_of(body)
    session_token = body["meta"]["session_token"]
    client.force_login(user)
    client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    user.refresh_from_db()

    stored = json.dumps(list(Event.objects.values()), default=str)
    _, listed = call(Client(), "get", "/api/me/activity", **bearer(access))
    for secret in (
        PASSWORD,
        NEW_PASSWORD,
        "Wrong-but-typed-1",
        user.password,
        access,
        refresh,
        session_token,
    ):
        assert secret not in stored
        assert secret not in json.dumps(listed)


def test_the_api_pages_newest_first_with_a_cursor(user, settings):
    settings.ACTIVITY_PAGE_SIZE = 4
    start = timezone.now() - timedelta(hours=1)
    for minute in range(9):
        Event.objects.create(
            user=user,
            email=user.email,
            type=Type.LOGIN,
            at=start + timedelta(minutes=minute),
        )
    # Two at the very same moment: the cursor still splits them apart.
    same = start + timedelta(minutes=30)
    Event.objects.create(user=user, email=user.email, type=Type.LOGOUT, at=same)
    Event.objects.create(user=user, email=user.email, type=Type.LOGOUT, at=same)
    UserFactory.create()  # someone else's events never show
    access, _ = tokens_of(login(Client(), user.email)[1])  # and this sign-in

    seen, cursor, pages = [], None, 0
    while True:
        query = f"?cursor={cursor}" if cursor else ""
        status, body = call(
            Client(), "get", f"/api/me/activity{query}", **bearer(access)
        )
        assert status == HTTPStatus.OK
        seen.extend(body["data"])
        pages += 1
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            break

    expected = list(Event.objects.filter(user=user).order_by("-at", "-pk"))
    assert len(seen) == len(expected) == 12
    assert [e["at"] for e in seen] == [e.at.isoformat() for e in expected]
    assert pages == 3
    assert seen[0]["type"] == "login"
    assert seen[0]["description"] == "Signed in"


@pytest.mark.parametrize("cursor", ["nonsense", "WzEsMl0:1tZ:bad", "%00", "x" * 5000])
def test_a_cursor_we_did_not_hand_out_gets_a_400(user, cursor):
    access, _ = tokens_of(login(Client(), user.email)[1])

    status, body = call(
        Client(), "get", f"/api/me/activity?cursor={cursor}", **bearer(access)
    )

    assert status == HTTPStatus.BAD_REQUEST
    assert body["errors"][0]["param"] == "cursor"


def test_activity_needs_a_signed_in_caller(db):
    status, body = call(Client(), "get", "/api/me/activity")

    assert status == HTTPStatus.UNAUTHORIZED
    assert body["errors"][0]["code"] == "not_authenticated"


def test_the_activity_page_lists_a_persons_own_events(user):
    other = UserFactory.create()
    record(Type.LOGIN, other)
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
    sign_in(client, user.email)

    page = client.get(reverse("profile_activity")).content.decode()

    assert "Signed in" in page
    assert "Firefox on Linux" in page
    assert other.email not in page
    forged = client.get(reverse("profile_activity") + "?cursor=forged")
    assert forged["Location"] == reverse("profile_activity")


def test_pseudonymising_detaches_events_and_hides_the_address(user):
    record(Type.EMAIL_ADDED, user, email="second@example.com")
    record(Type.ACCOUNT_DELETED, user, by="owner")

    assert pseudonymise(user) == 2

    events = Event.objects.filter(email=pseudonym(user.email))
    assert events.count() == 2
    assert not events.filter(user__isnull=False).exists()
    assert events.get(type=Type.EMAIL_ADDED).details == {}
    assert events.get(type=Type.ACCOUNT_DELETED).details == {"by": "owner"}
    assert pseudonym(user.email) == pseudonym(user.email)
    assert pseudonym(user.email) != pseudonym("someone.else@example.com")
    assert user.email.split("@")[0] not in pseudonym(user.email)


def test_old_events_are_purged_after_the_retention_period(user, settings):
    settings.ACTIVITY_RETENTION_DAYS = 30
    old = record(Type.LOGIN, user)
    Event.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    recent = record(Type.LOGIN, user)

    assert purge_old_events.run() == 1
    assert list(Event.objects.all()) == [recent]


def test_a_sign_in_adds_one_statement_an_insert_with_an_indexed_device_read(user):
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0")
    sign_in(client, user.email)  # the device is known from now on
    client.post(reverse("account_logout"))

    with CaptureQueriesContext(connection) as queries:
        sign_in(client, user.email)

    sql = [q["sql"] for q in queries.captured_queries]
    (statement,) = [s for s in sql if '"activity_' in s]
    assert statement.startswith('WITH event AS (INSERT INTO "activity_event"')
    assert statement.count("INSERT") == 1
    assert 'FROM "activity_knowndevice" WHERE "user_id" = ' in statement
    assert Event.objects.filter(user=user, type=Type.LOGIN).count() == 2


def test_the_device_read_uses_the_index(user):
    """With enough rows that a scan would cost more, the planner takes the
    (user, fingerprint) index."""
    others = UserFactory.create_batch(3)
    KnownDevice.objects.bulk_create(
        KnownDevice(user=others[n % 3], fingerprint=f"{n:064x}") for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE activity_knowndevice")
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0")

    with CaptureQueriesContext(connection) as queries:
        sign_in(client, user.email)

    (read,) = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "activity_knowndevice"' in q["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + read)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert found(r"(Index\w* Scan) using activity_device_unique", plan)


# --- One test per kind of change, each through the flow a person uses ----------------


def reauthenticated(user: User, totp_secret: str | None = None) -> Client:
    """Signed in on the pages (with the app's code, when it has one) and just
    reauthenticated: sensitive changes go."""
    client = Client()
    sign_in(client, user.email)
    if totp_secret:
        client.post(
            "/accounts/2fa/authenticate/", {"code": fresh_totp_code(totp_secret)}
        )
    assert client.session["_auth_user_id"] == str(user.pk)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    return client


def only_event(user: User, type_: str) -> Event:
    (event,) = Event.objects.filter(user=user, type=type_)
    return event


def holds_none_of(event: Event, *secrets: str) -> bool:
    text = json.dumps(
        [event.details, event.email, event.user_agent, str(event.ip)], default=str
    )
    return not any(secret and secret in text for secret in secrets)


def test_adding_an_address_is_recorded(user):
    client = reauthenticated(user)

    client.post(
        reverse("account_email"), {"email": "added@example.com", "action_add": ""}
    )

    event = only_event(user, Type.EMAIL_ADDED)
    assert event.details == {"email": "added@example.com"}
    assert event.ip == "127.0.0.1"
    user.refresh_from_db()
    assert holds_none_of(event, PASSWORD, user.password)


def test_removing_an_address_is_recorded(user):
    EmailAddress.objects.create(user=user, email="spare@example.com")
    client = reauthenticated(user)

    client.post(
        reverse("account_email"), {"email": "spare@example.com", "action_remove": ""}
    )

    assert not EmailAddress.objects.filter(email="spare@example.com").exists()
    event = only_event(user, Type.EMAIL_REMOVED)
    assert event.details == {"email": "spare@example.com"}
    assert holds_none_of(event, PASSWORD)


# allauth reports factors added, removed and renewed once the change has
# committed: real commits.
@pytest.mark.django_db(transaction=True)
def test_adding_an_authenticator_app_is_recorded(user):
    client = reauthenticated(user)
    page = client.get("/accounts/2fa/totp/activate/")
    secret = page.context["form"].secret

    client.post("/accounts/2fa/totp/activate/", {"code": fresh_totp_code(secret)})

    # The app, and the recovery codes made with a first factor.
    events = Event.objects.filter(user=user, type=Type.MFA_ENABLED)
    assert sorted(e.details["kind"] for e in events) == ["recovery_codes", "totp"]
    codes = RecoveryCodes(
        Authenticator.objects.get(user=user, type="recovery_codes")
    ).get_unused_codes()
    assert all(holds_none_of(e, secret, *codes, PASSWORD) for e in events)


@pytest.mark.django_db(transaction=True)
def test_removing_an_authenticator_app_is_recorded(user):
    secret = give_totp(user)
    codes = give_recovery_codes(user)
    client = reauthenticated(user, secret)

    client.post("/accounts/2fa/totp/deactivate/")

    assert not Authenticator.objects.filter(user=user).exists()
    # The app, and the recovery codes that go with the last factor.
    events = Event.objects.filter(user=user, type=Type.MFA_DISABLED)
    assert sorted(e.details["kind"] for e in events) == ["recovery_codes", "totp"]
    assert all(holds_none_of(e, secret, *codes) for e in events)


@pytest.mark.django_db(transaction=True)
def test_new_recovery_codes_are_recorded(user):
    secret = give_totp(user)
    old_codes = give_recovery_codes(user)
    client = reauthenticated(user, secret)

    client.post("/accounts/2fa/recovery-codes/generate/")

    new_codes = RecoveryCodes(
        Authenticator.objects.get(user=user, type="recovery_codes")
    ).get_unused_codes()
    assert set(new_codes).isdisjoint(old_codes)
    event = only_event(user, Type.RECOVERY_CODES_REGENERATED)
    assert event.details == {}
    assert holds_none_of(event, secret, *old_codes, *new_codes)


def test_signing_a_device_out_is_recorded(user):
    phone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148 "
        "Safari/604.1"
    )
    _, body = login(Client(), user.email, **{"User-Agent": phone})
    session_token = body["meta"]["session_token"]
    client = Client()
    sign_in(client, user.email)
    other = UserSession.objects.get(user=user, user_agent=phone)

    client.post(f"/accounts/sessions/{other.pk}/end/")

    event = only_event(user, Type.SESSION_ENDED)
    assert event.details == {"device": "Safari on iOS"}
    assert holds_none_of(event, session_token, other.session_key, PASSWORD)
