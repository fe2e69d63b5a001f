"""End to end: signup, verification and password reset through the real worker
and a real SMTP server. Each test commits (transactional_db) so the worker, a
separate process, sees what the request wrote."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from tests.support.factories import PASSWORD
from tests.support.flows import NEW_PASSWORD, link_in, login, path_of, signup

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("worker"),
]


def test_signup_sends_a_verification_email_with_a_link_on_the_request_host(mailbox):
    signup(Client(), "vera@example.com")

    (message,) = mailbox.wait_for(to="vera@example.com")
    link = link_in(message.text, "/accounts/confirm-email/")
    assert link.startswith("http://testserver/")
    assert link in message.html


def test_full_flow_signup_confirm_by_post_then_login(mailbox):
    client = Client()
    signup(client, "walt@example.com")
    (message,) = mailbox.wait_for(to="walt@example.com")
    confirm = path_of(link_in(message.text, "/accounts/confirm-email/"))

    # A GET, as a mail scanner would send, shows a form and confirms nothing.
    assert client.get(confirm).status_code == HTTPStatus.OK
    assert not EmailAddress.objects.get().verified
    response = client.post(confirm)

    assert response.status_code == HTTPStatus.FOUND
    assert EmailAddress.objects.get().verified
    response = login(Client(), "walt@example.com", PASSWORD)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("home")


def test_login_before_confirming_is_refused_and_asks_to_verify(mailbox):
    signup(Client(), "ursula@example.com")
    mailbox.wait_for(to="ursula@example.com")

    client = Client()
    response = login(client, "ursula@example.com", PASSWORD)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"])
    assert b"Verify Your Email Address" in page.content


def test_password_reset_link_sets_a_new_password_once(mailbox, user, password):
    client = Client()
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == HTTPStatus.FOUND
    (message,) = mailbox.wait_for(to=user.email)
    reset = path_of(link_in(message.text, "/accounts/password/reset/key/"))

    # The key moves into the session; the form lives at a key-less URL.
    form_url = client.get(reset)["Location"]
    response = client.post(
        form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND

    assert login(Client(), user.email, password).status_code == HTTPStatus.OK
    assert login(Client(), user.email, NEW_PASSWORD).status_code == HTTPStatus.FOUND
    # The same link a second time leads nowhere.
    response = Client().get(reset, follow=True)
    assert response.context["token_fail"]
    assert b"Bad Token" in response.content


def test_reset_for_an_unknown_address_answers_exactly_like_a_known_one(mailbox, user):
    known = Client().post(reverse("account_reset_password"), {"email": user.email})
    unknown = Client().post(
        reverse("account_reset_password"), {"email": "nobody@example.com"}
    )

    assert (known.status_code, known["Location"]) == (
        unknown.status_code,
        unknown["Location"],
    )
    # The stranger is told no account exists, by email only.
    (message,) = mailbox.wait_for(to="nobody@example.com")
    assert "/accounts/password/reset/key/" not in message.text
