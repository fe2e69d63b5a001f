"""The outbox in the admin: read-only rows that never show a body."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from mail.models import OutgoingEmail
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
