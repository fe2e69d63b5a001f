"""Tokens issued to other apps end when the person's side ends: the browser
session they were authorized from, the password, the account, or the
person's own "Revoke" on /profile/apps/. Each is in the activity log."""

from __future__ import annotations

import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.idp.oidc.models import Token
from allauth.usersessions.models import UserSession
from django.test import Client
from django.utils import timezone

from activity.models import Event
from identity.models import Grant
from identity.tasks import purge_expired_tokens
from mail.models import OutgoingEmail
from tests.support import oidc
from tests.support.factories import PASSWORD, UserFactory
from tests.support.flows import NEW_PASSWORD, link_in, path_of

pytestmark = pytest.mark.django_db

LAPTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"


def signed_in_browser(user, agent: str = LAPTOP) -> Client:
    browser = Client(headers={"User-Agent": agent})
    response = browser.post(
        "/accounts/login/", {"login": user.email, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    return browser


def works(app: oidc.App, tokens: dict) -> bool:
    server = Client()
    return (
        oidc.userinfo(server, tokens["access_token"]).status_code == HTTPStatus.OK
        and oidc.refresh(server, app, tokens["refresh_token"]).status_code
        == HTTPStatus.OK
    )


def revocations(user) -> list[dict]:
    return [
        e.details
        for e in Event.objects.filter(user=user, type=Event.Type.APP_REVOKED).order_by(
            "pk"
        )
    ]


@pytest.fixture
def app():
    return oidc.register("Acme Notes")


def test_signing_out_revokes_what_apps_got_from_that_session(user, app):
    laptop = signed_in_browser(user)
    tokens = oidc.signed_in_to_app(laptop, Client(), app)

    laptop.post("/accounts/logout/")

    assert not works(app, tokens)
    assert revocations(user) == [
        {"app": "Acme Notes", "client_id": app.client_id, "reason": "session_ended"}
    ]


def test_ending_a_device_revokes_only_what_apps_got_from_it(user, app):
    laptop = signed_in_browser(user, LAPTOP)
    phone = signed_in_browser(user, PHONE)
    from_laptop = oidc.signed_in_to_app(laptop, Client(), app)
    from_phone = oidc.signed_in_to_app(phone, Client(), app)
    phone_session = UserSession.objects.get(user=user, user_agent=PHONE)

    laptop.post(
        "/accounts/sessions/", {"action": "end", "sessions": [phone_session.pk]}
    )

    assert not UserSession.objects.filter(pk=phone_session.pk).exists()
    assert not works(app, from_phone)
    assert works(app, from_laptop)


def test_a_new_sign_in_in_the_same_session_keeps_its_grants(user, app):
    laptop = signed_in_browser(user)
    tokens = oidc.signed_in_to_app(laptop, Client(), app)

    laptop.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    laptop.post("/accounts/logout/")

    assert not works(app, tokens)  # the grant followed the session's new key


def test_changing_the_password_revokes_every_apps_tokens(user, app):
    laptop = signed_in_browser(user)
    phone = signed_in_browser(user, PHONE)
    # Authorized from the browser that changes the password, which stays
    # signed in, and from another, which the change signs out.
    here = oidc.signed_in_to_app(laptop, Client(), app)
    elsewhere = oidc.signed_in_to_app(phone, Client(), app)

    response = laptop.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert not works(app, here)
    assert not works(app, elsewhere)
    assert "password_changed" in [r["reason"] for r in revocations(user)]


def test_a_password_reset_revokes_every_apps_tokens(user, app):
    tokens = oidc.signed_in_to_app(signed_in_browser(user), Client(), app)
    stranger = Client()
    stranger.post("/accounts/password/reset/", {"email": user.email})
    mail = OutgoingEmail.objects.get(to=user.email, kind="password_reset")
    form = stranger.get(path_of(link_in(mail.body_text, "/password/reset/key/")))

    stranger.post(
        form["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert not works(app, tokens)
    assert "password_reset" in [r["reason"] for r in revocations(user)]


def test_deleting_the_account_revokes_every_apps_tokens(user, app):
    laptop = signed_in_browser(user)
    tokens = oidc.signed_in_to_app(laptop, Client(), app)

    laptop.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = laptop.post("/profile/delete/", {"confirm": "on"})

    assert response.status_code == HTTPStatus.FOUND, response.content
    assert response["Location"] == "/"
    assert not Token.objects.exists()
    assert not Grant.objects.exists()
    assert oidc.userinfo(Client(), tokens["access_token"]).status_code == 401


# --- /profile/apps/ -------------------------------------------------------------


def test_the_apps_page_lists_each_app_once_with_what_it_sees(user, app):
    browser = signed_in_browser(user)
    oidc.signed_in_to_app(browser, Client(), app)
    oidc.signed_in_to_app(browser, Client(), app)
    other = oidc.register("Team Admin", redirect_uri="https://admin.example.com/cb")
    oidc.signed_in_to_app(browser, Client(), other)

    page = browser.get("/profile/apps/").content.decode()

    assert page.count("<td>Acme Notes</td>") == 1
    assert page.count("<td>Team Admin</td>") == 1
    assert "Your email address, and whether it is verified" in page


def test_revoking_an_app_ends_its_tokens_and_leaves_the_others(user, app):
    browser = signed_in_browser(user)
    tokens = oidc.signed_in_to_app(browser, Client(), app)
    other = oidc.register("Team Admin", redirect_uri="https://admin.example.com/cb")
    kept = oidc.signed_in_to_app(browser, Client(), other)

    response = browser.post("/profile/apps/", {"client": app.client_id})

    assert response.status_code == HTTPStatus.FOUND
    assert not works(app, tokens)
    assert works(other, kept)
    assert "Acme Notes" not in browser.get("/profile/apps/").content.decode()
    assert revocations(user) == [
        {"app": "Acme Notes", "client_id": app.client_id, "reason": "revoked_by_you"}
    ]


def test_a_person_cannot_revoke_someone_elses_app_tokens(user, app):
    owner_tokens = oidc.signed_in_to_app(signed_in_browser(user), Client(), app)
    stranger = signed_in_browser(UserFactory.create())

    stranger.post("/profile/apps/", {"client": app.client_id})

    assert works(app, owner_tokens)


def test_the_apps_page_needs_a_signed_in_person(client):
    response = client.get("/profile/apps/")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")


# --- Housekeeping and the export -------------------------------------------------


def test_the_daily_purge_drops_expired_tokens_and_grants_only(user, app):
    old = oidc.signed_in_to_app(signed_in_browser(user), Client(), app)
    Token.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    Grant.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    fresh = oidc.signed_in_to_app(signed_in_browser(user), Client(), app)

    purge_expired_tokens()

    assert Grant.objects.count() == 1
    assert oidc.userinfo(Client(), fresh["access_token"]).status_code == 200
    assert oidc.userinfo(Client(), old["access_token"]).status_code == 401


def test_the_export_lists_the_apps_and_never_a_token(user, app):
    browser = signed_in_browser(user)
    tokens = oidc.signed_in_to_app(browser, Client(), app)

    export = browser.get("/profile/export/").json()

    assert [a["app"] for a in export["apps"]] == ["Acme Notes"]
    assert export["profile"]["public_id"] == str(user.public_id)
    text = json.dumps(export)
    for secret in (tokens["access_token"], tokens["refresh_token"], app.secret):
        assert secret not in text
