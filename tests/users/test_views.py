"""Our own pages: home and profile, and signing in and out around them."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_invites_anonymous_visitors_to_sign_up(client):
    response = client.get(reverse("home"))

    assert response.status_code == HTTPStatus.OK
    assert reverse("account_signup").encode() in response.content


def test_home_shows_the_signed_in_email(client, user):
    client.force_login(user)

    response = client.get(reverse("home"))

    assert user.email.encode() in response.content


def test_login_with_the_password_lands_on_home(client, user, password):
    response = client.post(
        reverse("account_login"), {"login": user.email.upper(), "password": password}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_password_and_unknown_account_get_the_same_answer(client, user):
    wrong = client.post(
        reverse("account_login"), {"login": user.email, "password": "nope-Nope-1"}
    )
    unknown = client.post(
        reverse("account_login"),
        {"login": "nobody@example.com", "password": "nope-Nope-1"},
    )

    assert wrong.status_code == unknown.status_code == HTTPStatus.OK
    assert wrong.context["form"].errors == unknown.context["form"].errors


def test_repeated_wrong_passwords_are_throttled_with_a_readable_message(client, user):
    for _ in range(5):
        client.post(
            reverse("account_login"), {"login": user.email, "password": "nope-Nope-1"}
        )

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "nope-Nope-1"}
    )

    assert response.status_code == HTTPStatus.OK
    assert b"Too many failed login attempts" in response.content


def test_profile_requires_login(client):
    response = client.get(reverse("profile"))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


def test_profile_shows_the_email_and_links_to_email_and_password_pages(client, user):
    client.force_login(user)

    response = client.get(reverse("profile"))

    assert user.email.encode() in response.content
    assert reverse("account_email").encode() in response.content
    assert reverse("account_change_password").encode() in response.content


def test_profile_saves_the_name(client, user):
    client.force_login(user)

    response = client.post(reverse("profile"), {"name": "Ada Lovelace"}, follow=True)

    user.refresh_from_db()
    assert user.name == "Ada Lovelace"
    assert b"Your profile was saved." in response.content


def test_profile_refuses_an_overlong_name(client, user):
    client.force_login(user)

    response = client.post(reverse("profile"), {"name": "x" * 151})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["name"]


def test_profile_cannot_change_the_email_or_staff_flag(client, user):
    client.force_login(user)

    client.post(
        reverse("profile"), {"name": "N", "email": "evil@example.com", "is_staff": "on"}
    )

    user.refresh_from_db()
    assert user.email != "evil@example.com"
    assert not user.is_staff


def test_logout_by_post_ends_the_session(client, user):
    client.force_login(user)

    response = client.post(reverse("account_logout"))

    assert response.status_code == HTTPStatus.FOUND
    assert "_auth_user_id" not in client.session


def test_unknown_pages_are_a_404_not_a_500(client):
    assert client.get("/no/such/page/").status_code == HTTPStatus.NOT_FOUND


def test_changing_the_password_keeps_this_session_and_ends_every_other(
    client, user, password
):
    elsewhere = type(client)()
    elsewhere.post(
        reverse("account_login"), {"login": user.email, "password": password}
    )
    client.force_login(user)
    before = client.session.session_key

    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": password,
            "password1": "fresh-Meadow-Lark-91",
            "password2": "fresh-Meadow-Lark-91",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("profile")
    user.refresh_from_db()
    assert user.check_password("fresh-Meadow-Lark-91")
    assert client.session.session_key != before  # rotated
    assert not Session.objects.filter(session_key=before).exists()
    profile = client.get(reverse("profile"))
    assert profile.status_code == HTTPStatus.OK
    assert "Password successfully changed." in profile.content.decode()
    assert elsewhere.get(reverse("profile")).status_code == HTTPStatus.FOUND  # to login
    assert UserSession.objects.filter(user=user).count() == 1


def test_health_check_answers_without_a_session(client):
    response = client.get("/healthz")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


@pytest.mark.django_db
def test_the_email_page_offers_nothing_that_cannot_apply_to_one_verified_address(
    client, user
):
    """One address, verified and primary: it cannot be made primary, sent a
    verification or removed, so no button says it can."""
    EmailAddress.objects.filter(user=user).update(verified=True, primary=True)
    client.force_login(user)

    page = client.get(reverse("account_email")).content.decode()

    assert user.email in page
    for action in ("action_primary", "action_send", "action_remove"):
        assert f'name="{action}"' not in page


@pytest.mark.django_db
def test_the_email_page_offers_what_applies_to_a_second_unverified_address(
    client, user
):
    EmailAddress.objects.filter(user=user).update(verified=True, primary=True)
    EmailAddress.objects.create(user=user, email="second@example.com")
    client.force_login(user)

    page = client.get(reverse("account_email")).content.decode()

    assert 'name="action_send"' in page
    assert 'name="action_primary"' not in page  # only a verified one may be
