"""Login by an emailed code: an alternative to the password that proves the
mailbox, and so keeps the takeover rules (issue 8) on its own path."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from mail.models import OutgoingEmail
from tests.support.factories import UserFactory
from tests.support.flows import login, mailed_code, signup

pytestmark = pytest.mark.django_db

ATTACKER_PASSWORD = "attacker-Chosen-secret-66"


def request_code(client: Client, email: str):
    return client.post("/accounts/login/code/", {"email": email})


def test_a_code_mailed_to_the_address_signs_its_owner_in(user):
    client = Client()
    assert request_code(client, user.email).status_code == HTTPStatus.FOUND

    response = client.post(
        "/accounts/login/code/confirm/", {"code": mailed_code(user.email)}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_wrong_code_is_refused(user):
    client = Client()
    request_code(client, user.email)

    response = client.post("/accounts/login/code/confirm/", {"code": "XXXXXX"})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["code"]
    assert "_auth_user_id" not in client.session


def test_signing_in_by_code_drops_a_password_typed_by_someone_else():
    """Pre-registration: the attacker signed up with the victim's address and
    a password; the victim, holding the mailbox, signs in by code."""
    signup(Client(), "victim@example.com", ATTACKER_PASSWORD)
    victim = Client()
    request_code(victim, "victim@example.com")
    victim.post(
        "/accounts/login/code/confirm/", {"code": mailed_code("victim@example.com")}
    )

    assert EmailAddress.objects.get(email="victim@example.com").verified
    assert "_auth_user_id" in victim.session
    attacker = login(Client(), "victim@example.com", ATTACKER_PASSWORD)
    assert attacker.status_code == HTTPStatus.OK  # the form again: refused


def test_a_code_never_opens_the_account_of_a_stranger_who_added_the_address():
    stranger = UserFactory.create(email="stranger@example.com")
    EmailAddress.objects.create(user=stranger, email="target@example.com")
    owner = Client()

    request_code(owner, "target@example.com")

    (mail,) = OutgoingEmail.objects.filter(to="target@example.com")
    assert mail.kind == "unknown_account"
    response = owner.post("/accounts/login/code/confirm/", {"code": "ABCDEF"})
    assert "_auth_user_id" not in owner.session
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
