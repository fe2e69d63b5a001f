"""An address counts only for the account that verified it (issue 8): one a
stranger merely added opens nothing, on any path that mails the address."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from mail.models import OutgoingEmail
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_reset_for_an_address_a_stranger_added_opens_and_verifies_nothing():
    """The owner of the mailbox has no account yet; a stranger added the
    address, unverified, to theirs. A reset for it is answered as for an
    unknown address: no link into the stranger's account, and the address
    stays unverified there."""
    stranger = UserFactory.create(email="stranger@example.com")
    EmailAddress.objects.create(user=stranger, email="target@example.com")

    response = Client().post(
        reverse("account_reset_password"), {"email": "target@example.com"}
    )

    assert response.status_code == HTTPStatus.FOUND
    (mail,) = OutgoingEmail.objects.filter(to="target@example.com")
    assert mail.kind == "unknown_account"
    assert "/accounts/password/reset/key/" not in mail.body_text
    assert not EmailAddress.objects.get(email="target@example.com").verified
