"""The outbox in the admin: read-only rows that never show a body."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from mail.models import OutgoingEmail, Suppression
from project.admin import short_time
from tests.support.factories import OutgoingEmailFactory

OUTBOX = reverse("admin:mail_outgoingemail_changelist")


@pytest.mark.django_db
def test_outbox_admin_lists_filters_and_searches(staff_client):
    OutgoingEmailFactory.create(to="a@example.com", status="sent")
    OutgoingEmailFactory.create(
        to="b@example.com", status="failed", kind="password_reset"
    )

    everything = staff_client.get(OUTBOX)
    failed = staff_client.get(OUTBOX, {"status__exact": "failed"})
    resets = staff_client.get(OUTBOX, {"kind": "password_reset"})
    found = staff_client.get(OUTBOX, {"q": "a@exa"})

    assert everything.status_code == HTTPStatus.OK
    assert {e.to for e in failed.context["cl"].result_list} == {"b@example.com"}
    assert {e.to for e in resets.context["cl"].result_list} == {"b@example.com"}
    assert {e.to for e in found.context["cl"].result_list} == {"a@example.com"}


@pytest.mark.django_db
def test_outbox_admin_never_shows_a_pending_body(staff_client):
    row = OutgoingEmailFactory.create(status="pending")

    listing = staff_client.get(OUTBOX)
    detail = staff_client.get(reverse("admin:mail_outgoingemail_change", args=[row.pk]))

    assert detail.status_code == HTTPStatus.OK
    for response in (listing, detail):
        assert b"confirm-email/KEY" not in response.content
        assert b"secret link" not in response.content


@pytest.mark.django_db
def test_outbox_admin_is_read_only(staff_client):
    row = OutgoingEmailFactory.create()

    assert (
        staff_client.get(reverse("admin:mail_outgoingemail_add")).status_code
        == HTTPStatus.FORBIDDEN
    )
    staff_client.post(
        reverse("admin:mail_outgoingemail_change", args=[row.pk]),
        {"to": "x@example.com"},
    )
    row.refresh_from_db()
    assert row.to == "out@example.com"


@pytest.mark.django_db
def test_purge_action_asks_for_days_then_deletes_old_sent_rows_only(staff_client):
    old = OutgoingEmailFactory.create(
        to="old@example.com", status="sent", sent_at=timezone.now() - timedelta(days=10)
    )
    new = OutgoingEmailFactory.create(
        to="new@example.com", status="sent", sent_at=timezone.now()
    )
    pending = OutgoingEmailFactory.create(to="p@example.com", status="pending")
    selected = [old.pk, new.pk, pending.pk]

    ask = staff_client.post(
        OUTBOX, {"action": "purge_sent", "_selected_action": selected}
    )
    assert ask.status_code == HTTPStatus.OK
    assert b'name="days"' in ask.content

    staff_client.post(
        OUTBOX,
        {
            "action": "purge_sent",
            "_selected_action": selected,
            "apply": "1",
            "days": "7",
        },
    )

    assert set(OutgoingEmail.objects.values_list("to", flat=True)) == {
        "new@example.com",
        "p@example.com",
    }


@pytest.mark.django_db
def test_retry_now_skips_rows_that_did_not_fail(staff_client):
    sent = OutgoingEmailFactory.create(status="sent")

    response = staff_client.post(
        OUTBOX, {"action": "retry_now", "_selected_action": [sent.pk]}, follow=True
    )

    assert OutgoingEmail.objects.count() == 1
    assert b"Skipped 1 row" in response.content


@pytest.mark.django_db
def test_only_a_row_still_to_send_shows_its_next_attempt(staff_client):
    later = timezone.now() + timedelta(hours=1)
    OutgoingEmailFactory.create(to="waiting@example.com", next_attempt_at=later)
    sent = OutgoingEmailFactory.create(
        to="sent@example.com",
        status="sent",
        next_attempt_at=later,
        sent_at=timezone.now(),
    )

    listing = staff_client.get(OUTBOX).content.decode()
    detail = staff_client.get(
        reverse("admin:mail_outgoingemail_change", args=[sent.pk])
    ).content.decode()

    cells = re.findall(r'<td class="field-next_attempt[^"]*">(.*?)</td>', listing)
    assert sorted(cells) == sorted(["-", short_time(later)])
    assert short_time(later) not in detail


@pytest.mark.django_db
def test_the_outbox_names_each_kind_in_the_readers_language(staff_client):
    OutgoingEmailFactory.create(kind="password_reset")

    listing = staff_client.get(OUTBOX, headers={"Accept-Language": "ko"})

    assert (
        '<td class="field-kind_label">비밀번호 재설정</td>' in listing.content.decode()
    )


UNDELIVERABLE = reverse("admin:mail_suppression_changelist")


def bounced_address() -> Suppression:
    return Suppression.objects.create(
        address="gone@example.com",
        reason=Suppression.Reason.HARD_BOUNCE,
        detail="smtp;550 5.1.1 The email account does not exist.",
        provider="postmark",
        suppressed_at=timezone.now(),
    )


@pytest.mark.django_db
def test_undeliverable_addresses_show_their_reason_and_since_when(staff_client):
    bounced_address()
    Suppression.objects.create(address="soft@example.com", soft_bounces=1)

    listing = staff_client.get(UNDELIVERABLE, {"undeliverable": "yes"})

    assert {s.address for s in listing.context["cl"].result_list} == {
        "gone@example.com"
    }
    assert b"hard bounce" in listing.content


@pytest.mark.django_db
def test_an_undeliverable_address_lists_the_emails_that_bounced(staff_client):
    record = bounced_address()
    bounced = OutgoingEmailFactory.create(
        to="gone@example.com", status="sent", delivery="bounced"
    )
    delivered = OutgoingEmailFactory.create(
        to="gone@example.com", status="sent", delivery="delivered"
    )

    page = staff_client.get(reverse("admin:mail_suppression_change", args=[record.pk]))

    assert page.status_code == HTTPStatus.OK
    assert reverse("admin:mail_outgoingemail_change", args=[bounced.pk]).encode() in (
        page.content
    )
    assert reverse(
        "admin:mail_outgoingemail_change", args=[delivered.pk]
    ).encode() not in (page.content)
    assert b"5.1.1 The email account does not exist" in page.content


@pytest.mark.django_db
def test_staff_clear_an_undeliverable_address(staff_client):
    record = bounced_address()

    staff_client.post(
        UNDELIVERABLE, {"action": "clear", "_selected_action": [record.pk]}
    )

    record.refresh_from_db()
    assert not record.is_active
    assert record.cleared_by.startswith("staff #")


@pytest.mark.django_db
def test_the_outbox_lists_the_emails_that_bounced(staff_client):
    OutgoingEmailFactory.create(to="b@example.com", status="sent", delivery="bounced")
    OutgoingEmailFactory.create(to="d@example.com", status="sent", delivery="delivered")

    bounced = staff_client.get(OUTBOX, {"delivery__exact": "bounced"})

    assert {e.to for e in bounced.context["cl"].result_list} == {"b@example.com"}
