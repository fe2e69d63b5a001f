"""Bounce and complaint webhooks: documented payloads, signed as each
provider signs them (tests/support/webhooks.py), posted to
/anymail/<esp>/tracking/."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.utils import timezone

from mail import suppression
from mail.models import OutgoingEmail, Suppression, WebhookReceipt
from mail.webhooks import purge_receipts
from tests.support import webhooks
from tests.support.factories import OutgoingEmailFactory

pytestmark = pytest.mark.django_db

PROVIDERS = list(webhooks.BUILDERS)
Delivery = OutgoingEmail.Delivery


@pytest.fixture(autouse=True)
def guarded(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, **webhooks.ANYMAIL}


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)


def sent_row(to: str = "reader@example.com", **fields) -> OutgoingEmail:
    return OutgoingEmailFactory.create(
        to=to,
        status="sent",
        body_text="",
        sent_at=timezone.now() - timedelta(minutes=1),
        provider_message_id=fields.pop("provider_message_id", ""),
        **fields,
    )


def report(provider: str, kind: str, row: OutgoingEmail, **extra) -> webhooks.Call:
    return webhooks.BUILDERS[provider](kind, row.to, outbox_id=str(row.pk), **extra)


def nothing_changed(row: OutgoingEmail) -> bool:
    row.refresh_from_db()
    return row.delivery == "" and not Suppression.objects.exists()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_hard_bounce_makes_the_address_undeliverable(client, provider):
    row = sent_row()

    response = report(provider, "hard_bounce", row).post(client)

    assert response.status_code == HTTPStatus.OK
    row.refresh_from_db()
    assert row.delivery == Delivery.BOUNCED
    record = Suppression.objects.get(address="reader@example.com")
    assert record.is_active
    assert record.reason == Suppression.Reason.HARD_BOUNCE
    assert record.provider == provider
    assert "5.1.1" in record.detail


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_complaint_makes_the_address_undeliverable(client, provider):
    row = sent_row()

    report(provider, "complaint", row).post(client)

    record = Suppression.objects.get(address="reader@example.com")
    assert (record.is_active, record.reason) == (True, Suppression.Reason.COMPLAINT)
    row.refresh_from_db()
    assert row.delivery == Delivery.COMPLAINED


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_delivery_is_recorded_on_the_row_only(client, provider):
    row = sent_row()

    assert report(provider, "delivered", row).post(client).status_code == 200

    row.refresh_from_db()
    assert row.delivery == Delivery.DELIVERED
    assert not Suppression.objects.filter(suppressed_at__isnull=False).exists()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_row_is_found_by_the_providers_message_id_alone(client, provider):
    row = sent_row(provider_message_id="<provider-id-1@mg.example.com>")

    webhooks.BUILDERS[provider](
        "hard_bounce", row.to, message_id="<provider-id-1@mg.example.com>"
    ).post(client)

    row.refresh_from_db()
    assert row.delivery == Delivery.BOUNCED


@pytest.mark.parametrize("provider", PROVIDERS)
def test_soft_bounces_of_three_messages_make_the_address_undeliverable(
    client, provider
):
    rows = [sent_row() for _ in range(3)]

    for row in rows[:2]:
        report(provider, "soft_bounce", row).post(client)
    record = Suppression.objects.get()
    assert (record.is_active, record.soft_bounces) == (False, 2)

    report(provider, "soft_bounce", rows[2]).post(client)
    record.refresh_from_db()
    assert record.is_active
    assert record.reason == Suppression.Reason.SOFT_BOUNCES


def test_soft_bounces_of_one_message_count_once(client):
    row = sent_row()

    for _ in range(3):
        report("mailgun", "soft_bounce", row).post(client)

    record = Suppression.objects.get()
    assert (record.is_active, record.soft_bounces) == (False, 1)


def test_a_delivery_ends_a_run_of_soft_bounces(client):
    first, second, delivered, third = (sent_row() for _ in range(4))
    report("postmark", "soft_bounce", first).post(client)
    report("postmark", "soft_bounce", second).post(client)

    report("postmark", "delivered", delivered).post(client)
    report("postmark", "soft_bounce", third).post(client)

    record = Suppression.objects.get()
    assert (record.is_active, record.soft_bounces) == (False, 1)


def test_soft_bounces_outside_the_window_start_a_new_count(client, settings):
    settings.MAIL_SOFT_BOUNCE_WINDOW_DAYS = 7
    rows = [sent_row() for _ in range(3)]
    report("amazon_ses", "soft_bounce", rows[0]).post(client)
    report("amazon_ses", "soft_bounce", rows[1]).post(client)
    Suppression.objects.update(
        soft_bounce_window_start=timezone.now() - timedelta(days=8)
    )

    report("amazon_ses", "soft_bounce", rows[2]).post(client)

    record = Suppression.objects.get()
    assert (record.is_active, record.soft_bounces) == (False, 1)


def test_a_bounce_of_mail_sent_before_the_address_was_cleared_changes_nothing(
    client,
):
    old = sent_row()
    report("postmark", "hard_bounce", old).post(client)
    suppression.clear(old.to, by="test")

    report("postmark", "hard_bounce", old).post(client)

    assert not Suppression.objects.get().is_active


# --- What is refused, and what is ignored -----------------------------------


def test_postmark_without_basic_auth_is_refused(client):
    row = sent_row()

    response = report("postmark", "hard_bounce", row).post(client, Authorization="")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["errors"][0]["code"] == "unauthenticated"
    assert nothing_changed(row)


def test_amazon_ses_asks_for_basic_auth_first(client):
    row = sent_row()
    call = report("amazon_ses", "hard_bounce", row)
    del call.headers["Authorization"]

    response = call.post(client)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Basic")
    assert nothing_changed(row)


@pytest.mark.parametrize("provider", ["postmark", "amazon_ses"])
def test_wrong_basic_auth_is_refused(client, provider):
    row = sent_row()

    response = report(provider, "hard_bounce", row).post(
        client, Authorization=webhooks.basic_auth("webhooks:guessed")
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert nothing_changed(row)


def test_mailgun_signed_with_another_key_is_refused(client):
    row = sent_row()

    response = report("mailgun", "hard_bounce", row, key="not-the-key").post(client)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"][0]["code"] == "invalid_signature"
    assert nothing_changed(row)


def test_a_captured_mailgun_signature_on_another_body_is_a_replay(client):
    """Mailgun signs timestamp and token only: the token must not come back."""
    row = sent_row()
    delivered = report("mailgun", "delivered", row)
    bounce = report("mailgun", "hard_bounce", row)
    forged = json.loads(bounce.body)
    forged["signature"] = json.loads(delivered.body)["signature"]
    bounce.body = json.dumps(forged).encode()
    delivered.post(client)

    response = bounce.post(client)

    assert response.status_code == HTTPStatus.CONFLICT
    assert not Suppression.objects.exists()


def test_sendgrid_with_a_tampered_body_is_refused(client):
    row = sent_row()
    call = report("sendgrid", "hard_bounce", row)
    call.body = call.body.replace(b"reader@", b"other@")

    assert call.post(client).status_code == HTTPStatus.BAD_REQUEST
    assert nothing_changed(row)


def test_sendgrid_without_its_signature_is_refused(client):
    row = sent_row()
    call = report("sendgrid", "hard_bounce", row)
    call.headers = {"Authorization": webhooks.basic_auth()}

    assert call.post(client).status_code == HTTPStatus.BAD_REQUEST
    assert nothing_changed(row)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_same_call_twice_is_refused_the_second_time(client, provider):
    row = sent_row()
    call = report(provider, "soft_bounce", row)

    first = call.post(client)
    second = call.post(client)

    assert (first.status_code, second.status_code) == (200, HTTPStatus.CONFLICT)
    assert second.json()["errors"][0]["code"] == "replayed"
    assert Suppression.objects.get().soft_bounces == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_call_older_than_the_window_is_refused(client, provider, settings):
    settings.MAIL_WEBHOOK_MAX_AGE = 3600
    row = sent_row()
    old = datetime.now(UTC) - timedelta(hours=2)

    response = report(provider, "hard_bounce", row, at=old).post(client)

    assert response.status_code == HTTPStatus.CONFLICT
    assert nothing_changed(row)


def test_one_event_in_two_calls_is_taken_once(client):
    row = sent_row()
    event = webhooks.sendgrid_event("soft_bounce", row.to, outbox_id=str(row.pk))

    webhooks.sendgrid_batch([event], at=datetime.now(UTC) - timedelta(minutes=1)).post(
        client
    )
    retried = webhooks.sendgrid_batch([event]).post(client)

    assert retried.status_code == 200
    assert Suppression.objects.get().soft_bounces == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_report_about_an_address_we_never_mailed_changes_nothing(client, provider):
    row = sent_row()

    response = webhooks.BUILDERS[provider]("hard_bounce", "stranger@example.com").post(
        client
    )

    assert response.status_code == HTTPStatus.OK
    assert nothing_changed(row)


def test_a_report_naming_our_row_but_another_recipient_changes_nothing(client):
    row = sent_row()

    webhooks.postmark("hard_bounce", "other@example.com", outbox_id=str(row.pk)).post(
        client
    )

    assert nothing_changed(row)


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("postmark", b"[]"),
        ("postmark", b'[{"RecordType": "Bounce"}]'),
        ("postmark", b"not json"),
        ("postmark", b'{"RecordType": "Bounce", "Type": "HardBounce"}'),
        ("postmark", b'{"FromFull": {}, "BouncedAt": "2026-12-01T00:00:00Z"}'),
        ("amazon_ses", b"not json"),
        ("amazon_ses", b"[1, 2]"),
    ],
)
def test_an_authenticated_call_of_an_unexpected_shape_is_accepted_and_ignored(
    client, provider, body
):
    row = sent_row()
    headers = {"Authorization": webhooks.basic_auth()}
    if provider == "amazon_ses":
        headers |= {"x-amz-sns-message-type": "Notification"}

    response = webhooks.Call(provider, body, headers).post(client)

    assert response.status_code == HTTPStatus.OK
    assert nothing_changed(row)


def test_a_signed_mailgun_event_missing_fields_is_accepted_and_ignored(client):
    row = sent_row()
    call = report("mailgun", "hard_bounce", row)
    body = json.loads(call.body)
    del body["event-data"]["event"]
    call.body = json.dumps(body).encode()

    response = call.post(client)

    assert response.status_code == HTTPStatus.OK
    assert nothing_changed(row)


def test_a_signed_sendgrid_event_without_an_address_is_ignored(client):
    row = sent_row()
    event = webhooks.sendgrid_event("hard_bounce", row.to, outbox_id=str(row.pk))
    del event["email"]

    assert webhooks.sendgrid_batch([event]).post(client).status_code == 200
    assert nothing_changed(row)


@pytest.mark.parametrize("provider", ["mailgun", "sendgrid"])
def test_signatures_alone_guard_mailgun_and_sendgrid_without_a_basic_secret(
    client, provider, settings
):
    settings.ANYMAIL = {
        k: v for k, v in webhooks.ANYMAIL.items() if k != "WEBHOOK_SECRET"
    }
    row = sent_row()

    response = report(provider, "hard_bounce", row).post(client, Authorization="")

    assert response.status_code == HTTPStatus.OK
    assert Suppression.objects.get().is_active


def test_with_a_basic_secret_set_mailgun_needs_it_too(client):
    row = sent_row()

    response = report("mailgun", "hard_bounce", row).post(client, Authorization="")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert nothing_changed(row)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_provider_without_its_guard_has_no_webhook(client, provider, settings):
    settings.ANYMAIL = {}
    row = sent_row()

    response = report(provider, "hard_bounce", row).post(client)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert nothing_changed(row)


def test_refused_and_ignored_calls_are_logged_without_the_body(client, caplog):
    row = sent_row(to="private.person@example.com")
    caplog.set_level(logging.INFO)

    report("postmark", "hard_bounce", row).post(client, Authorization="")
    report("mailgun", "hard_bounce", row, key="wrong").post(client)
    webhooks.Call(
        "postmark",
        b'[{"Email": "private.person@example.com"}]',
        {"Authorization": webhooks.basic_auth()},
    ).post(client)

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Refused postmark webhook" in logged
    assert "Refused mailgun webhook" in logged
    assert "Ignored a postmark webhook" in logged
    assert "private.person" not in logged


def test_receipts_are_forgotten_once_age_alone_refuses_their_calls(settings):
    settings.MAIL_WEBHOOK_MAX_AGE = 3600
    WebhookReceipt.objects.create(
        provider="mailgun", key="old", received_at=timezone.now() - timedelta(hours=2)
    )
    WebhookReceipt.objects.create(provider="mailgun", key="new")

    assert purge_receipts() == 1

    assert list(WebhookReceipt.objects.values_list("key", flat=True)) == ["new"]
