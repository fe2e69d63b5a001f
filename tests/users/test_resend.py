"""The account policy behind the outbox admin's "Retry failed emails now"
(MAIL_RESENDER = users.emails.resend): a fresh message of the same kind."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mail.models import OutgoingEmail
from tests.support.factories import OutgoingEmailFactory, UserFactory
from tests.support.processes import wait_until

OUTBOX = reverse("admin:mail_outgoingemail_changelist")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_retry_now_sends_a_fresh_email_for_a_failed_verification(staff_client, mailbox):
    UserFactory.create(email="stuck@example.com", verified=False)
    failed = OutgoingEmailFactory.create(
        to="stuck@example.com", status="failed", body_text=""
    )

    staff_client.post(OUTBOX, {"action": "retry_now", "_selected_action": [failed.pk]})

    (message,) = mailbox.wait_for(to="stuck@example.com")
    assert "/accounts/confirm-email/" in message.text
    wait_until(
        OutgoingEmail.objects.filter(to="stuck@example.com", status="sent").exists
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_retry_now_sends_a_fresh_reset_for_a_failed_reset(staff_client, mailbox):
    UserFactory.create(email="forgot@example.com")
    failed = OutgoingEmailFactory.create(
        to="forgot@example.com", status="failed", kind="password_reset", body_text=""
    )

    staff_client.post(OUTBOX, {"action": "retry_now", "_selected_action": [failed.pk]})

    (message,) = mailbox.wait_for(to="forgot@example.com")
    assert "/accounts/password/reset/key/" in message.text
