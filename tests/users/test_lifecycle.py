"""Deleting an account and exporting its data, in this process: what goes,
what stays, and that a failure half way leaves the account whole."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from allauth.core.context import request_context
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from activity.events import Type, pseudonym
from activity.models import Event, KnownDevice
from mail.models import OutgoingEmail, Suppression
from tests.support.api import APP, bearer, call, login, me, reauthenticate, tokens_of
from tests.support.factories import (
    PASSWORD,
    OutgoingEmailFactory,
    UserFactory,
    give_recovery_codes,
    give_totp,
)
from users import lifecycle
from users.models import User

pytestmark = pytest.mark.django_db


def signed_in_over_the_api(user: User) -> tuple[dict, str]:
    """Headers for an app client that has just reauthenticated; its refresh
    token."""
    _, body = login(Client(), user.email)
    access, refresh = tokens_of(body)
    headers = {"X-Session-Token": body["meta"]["session_token"]}
    assert reauthenticate(Client(), **headers) == HTTPStatus.OK
    return {**headers, **bearer(access)}, refresh


def test_deleting_removes_the_person_and_keeps_only_pseudonymous_events(user):
    headers, _ = signed_in_over_the_api(user)
    give_totp(user)
    EmailAddress.objects.create(user=user, email="second@example.com")
    theirs = OutgoingEmailFactory.create(to="second@example.com")
    someone_elses = OutgoingEmailFactory.create(to="stays@example.com")
    email = user.email

    status, body = call(Client(), "delete", "/api/me", **headers)

    assert (status, body) == (HTTPStatus.OK, {"status": HTTPStatus.OK})
    assert not User.objects.filter(pk=user.pk).exists()
    assert not EmailAddress.objects.filter(user_id=user.pk).exists()
    assert not Authenticator.objects.filter(user_id=user.pk).exists()
    assert not UserSession.objects.filter(user_id=user.pk).exists()
    assert not KnownDevice.objects.filter(user_id=user.pk).exists()
    assert not OutgoingEmail.objects.filter(pk=theirs.pk).exists()
    assert OutgoingEmail.objects.filter(pk=someone_elses.pk).exists()
    # The last email, in their language, is on its way.
    (goodbye,) = OutgoingEmail.objects.filter(to=email)
    assert goodbye.status == OutgoingEmail.Status.PENDING
    # Their events stay, with no way back to the address.
    assert not Event.objects.filter(email=email).exists()
    kept = Event.objects.filter(email=pseudonym(email))
    assert kept.filter(type=Type.ACCOUNT_DELETED, details={"by": "owner"}).exists()
    assert not kept.filter(user__isnull=False).exists()
    assert not any(email in json.dumps(e.details) for e in kept)


def test_after_deletion_the_tokens_are_dead_and_the_address_is_free(user):
    headers, refresh = signed_in_over_the_api(user)
    email = user.email
    call(Client(), "delete", "/api/me", **headers)

    assert me(Client(), **headers) == HTTPStatus.UNAUTHORIZED
    status, _ = call(
        Client(), "post", f"{APP}/tokens/refresh", {"refresh_token": refresh}
    )
    assert status == HTTPStatus.BAD_REQUEST
    failed = Client().post(
        reverse("account_login"), {"login": email, "password": PASSWORD}
    )
    assert failed.status_code == HTTPStatus.OK
    assert "The email address and/or password you specified are not correct." in (
        failed.content.decode()
    )
    UserFactory.create(email=email)  # a fresh account may take the address


def test_deleting_without_a_fresh_reauthentication_is_refused(user):
    _, body = login(Client(), user.email)
    headers = {"X-Session-Token": body["meta"]["session_token"]}

    status, answer = call(Client(), "delete", "/api/me", **headers)

    assert status == HTTPStatus.UNAUTHORIZED
    assert answer["errors"][0]["code"] == "reauthentication_required"
    assert answer["data"]["flows"] == [{"id": "reauthenticate"}]
    assert User.objects.filter(pk=user.pk).exists()


def test_the_reauthentication_window_is_the_configured_one(user, settings):
    headers, _ = signed_in_over_the_api(user)
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0

    status, _ = call(Client(), "delete", "/api/me", **headers)

    assert status == HTTPStatus.UNAUTHORIZED
    assert User.objects.filter(pk=user.pk).exists()


def test_anonymous_deletion_is_refused(db):
    status, body = call(Client(), "delete", "/api/me")

    assert status == HTTPStatus.UNAUTHORIZED
    assert body["errors"][0]["code"] == "not_authenticated"


class BrokenError(Exception):
    pass


def test_a_deletion_that_fails_half_way_leaves_the_account_whole(user, monkeypatch):
    login(Client(), user.email)
    give_totp(user)
    pending = OutgoingEmailFactory.create(to=user.email)
    events_before = Event.objects.filter(user=user).count()

    def fails(*args, **kwargs):
        raise BrokenError

    # The last step before the account itself goes: everything before it
    # has already run inside the transaction.
    monkeypatch.setattr(lifecycle, "pseudonymise", fails)
    request = RequestFactory().post("/profile/delete/")
    with request_context(request), pytest.raises(BrokenError):
        lifecycle.delete_account(request, user)

    assert User.objects.filter(pk=user.pk).exists()
    assert Authenticator.objects.filter(user=user).exists()
    assert UserSession.objects.filter(user=user).exists()
    assert OutgoingEmail.objects.filter(pk=pending.pk).exists()
    assert not OutgoingEmail.objects.exclude(pk=pending.pk).filter(to=user.email)
    assert Event.objects.filter(user=user).count() == events_before
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_staff_delete_from_the_admin_with_the_same_effect(staff_client, user):
    email = user.email

    response = staff_client.post(
        reverse("admin:users_user_delete", args=[user.pk]), {"post": "yes"}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert not User.objects.filter(pk=user.pk).exists()
    assert OutgoingEmail.objects.filter(to=email).count() == 1
    assert Event.objects.filter(
        email=pseudonym(email), type=Type.ACCOUNT_DELETED, details={"by": "staff"}
    ).exists()


def test_staff_delete_many_from_the_admin_list(staff_client):
    people = UserFactory.create_batch(3)

    staff_client.post(
        reverse("admin:users_user_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [p.pk for p in people],
            "post": "yes",
        },
    )

    assert not User.objects.filter(pk__in=[p.pk for p in people]).exists()
    assert OutgoingEmail.objects.filter(to__in=[p.email for p in people]).count() == 3
    assert Event.objects.filter(type=Type.ACCOUNT_DELETED).count() == 3


def test_the_export_holds_everything_and_no_secret(user):
    other = UserFactory.create()
    Client().post(reverse("account_login"), {"login": other.email, "password": "x"})
    _, body = login(Client(), user.email)
    access, refresh = tokens_of(body)
    secret = give_totp(user)
    codes = give_recovery_codes(user)
    EmailAddress.objects.create(user=user, email="second@example.com")

    status, answer = call(Client(), "get", "/api/me/export", **bearer(access))

    assert status == HTTPStatus.OK
    data = answer["data"]
    assert data["profile"]["email"] == user.email
    assert {a["email"] for a in data["email_addresses"]} == {
        user.email,
        "second@example.com",
    }
    assert {f["type"] for f in data["second_factors"]} == {"totp", "recovery_codes"}
    assert len(data["sessions"]) == 1
    assert [e["type"] for e in data["activity"]] == ["login"]
    text = json.dumps(answer)
    user.refresh_from_db()
    session_key = UserSession.objects.get(user=user).session_key
    for hidden in (
        PASSWORD,
        user.password,
        secret,
        *codes,
        access,
        refresh,
        body["meta"]["session_token"],
        session_key,
        other.email,
    ):
        assert hidden not in text


def test_the_export_holds_the_mail_to_the_persons_addresses_and_their_state(user):
    EmailAddress.objects.filter(user=user).update(verified=True)
    added = EmailAddress.objects.create(user=user, email="added@example.com")
    OutgoingEmailFactory.create(to=user.email, kind="password_reset")
    OutgoingEmailFactory.create(to=added.email, kind="verification")
    OutgoingEmailFactory.create(to="someone@example.com", kind="verification")
    for address in (user.email, "someone@example.com"):
        Suppression.objects.create(
            address=address, reason="hard_bounce", suppressed_at=timezone.now()
        )

    data = lifecycle.export_account(user)

    # Mail to an address the person only added may be someone else's.
    assert [(m["to"], m["kind"]) for m in data["emails"]] == [
        (user.email, "password_reset")
    ]
    assert "secret link" not in json.dumps(data)
    assert [(s["address"], s["reason"]) for s in data["undeliverable_addresses"]] == [
        (user.email, "hard_bounce")
    ]


def test_the_export_page_downloads_a_json_file(user):
    client = Client()
    client.force_login(user)

    response = client.get(reverse("profile_export"))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["profile"]["email"] == user.email
    assert client.post(reverse("profile_export")).status_code == (
        HTTPStatus.METHOD_NOT_ALLOWED
    )


def test_the_delete_page_needs_the_box_ticked(user):
    client = Client()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    response = client.post(reverse("profile_delete"), {})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["confirm"]
    assert User.objects.filter(pk=user.pk).exists()


def test_the_delete_page_asks_in_the_readers_language(user):
    client = Client(headers={"Accept-Language": "ko"})
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    page = client.get(reverse("profile_delete")).content.decode()

    assert "계정과 정보가 영구히 삭제된다는 것을 이해합니다." in page
    assert "I understand" not in page
