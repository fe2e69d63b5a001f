"""/metrics in one process (the multiprocess case runs in
tests/e2e/test_operations.py): who may read it, and what it counts."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from mail import signals as mail_signals
from mail.models import OutgoingEmail
from ops import metrics
from tests.support import webhooks
from tests.support.factories import PASSWORD, OutgoingEmailFactory
from tests.support.flows import signup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_deployment_counters():
    client = metrics.deployment_store()
    assert client is not None
    client.delete(metrics.CLUSTER_KEY)
    yield
    client.delete(metrics.CLUSTER_KEY)


def scrape(**headers) -> dict[str, float]:
    """Every sample on /metrics, by name and labels."""
    response = Client(**headers).get("/metrics")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def test_from_another_address_metrics_are_refused_without_a_name(settings):
    settings.METRICS_TOKEN = "s3cret-token-for-prometheus"

    response = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"accounts_" not in response.content
    wrong = Client(REMOTE_ADDR="203.0.113.9").get(
        "/metrics", headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == HTTPStatus.FORBIDDEN


def test_a_forwarded_for_header_opens_nothing():
    response = Client(REMOTE_ADDR="203.0.113.9").get(
        "/metrics", headers={"X-Forwarded-For": "127.0.0.1"}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_the_token_opens_metrics_from_anywhere(settings):
    settings.METRICS_TOKEN = "s3cret-token-for-prometheus"

    samples = scrape(
        REMOTE_ADDR="203.0.113.9",
        HTTP_AUTHORIZATION="Bearer s3cret-token-for-prometheus",
    )

    assert "accounts_outbox_pending{}" in samples


def test_an_allowed_network_opens_metrics(settings):
    settings.METRICS_ALLOWED_NETWORKS = [
        __import__("ipaddress").ip_network("10.0.0.0/8")
    ]

    assert scrape(REMOTE_ADDR="10.1.2.3")


def test_requests_are_timed_by_view_name_and_status(user):
    before = scrape().get(
        "accounts_http_request_duration_seconds_count{method=POST,status=302,view=account_login}",
        0,
    )
    Client().post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    Client().get("/no/such/page/key-like-path-abc123/")

    samples = scrape()

    assert (
        samples[
            "accounts_http_request_duration_seconds_count{method=POST,status=302,view=account_login}"
        ]
        == before + 1
    )
    assert any("view=unmatched" in name and "status=404" in name for name in samples)
    assert not any("abc123" in name for name in samples)


def test_account_events_are_counted_once_committed(
    client, user, django_capture_on_commit_callbacks
):
    before = scrape()
    login = reverse("account_login")
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "counted@example.com")
        Client().post(login, {"login": user.email, "password": PASSWORD})
        Client().post(login, {"login": user.email, "password": "wrong-1"})

    after = scrape()

    for name, grew in [
        ("accounts_signups_total{}", 1),
        ("accounts_logins_total{}", 1),
        ("accounts_login_failures_total{}", 1),
    ]:
        assert after[name] - before.get(name, 0) == grew, name


def test_the_outbox_backlog_is_read_from_the_database():
    OutgoingEmailFactory.create_batch(3)
    OutgoingEmailFactory.create(status=OutgoingEmail.Status.SENT)

    samples = scrape()

    assert samples["accounts_outbox_pending{}"] == 3
    assert samples["accounts_outbox_oldest_pending_seconds{}"] >= 0


def test_worker_counts_come_from_the_deployments_redis():
    mail_signals.email_sent.send(OutgoingEmail, count_of=2)
    mail_signals.email_deferred.send(OutgoingEmail, count_of=1)
    mail_signals.email_failed.send(OutgoingEmail, count_of=1)
    metrics.count("task|mail.tasks.send_outgoing_email|succeeded", 5)

    samples = scrape()

    assert samples["accounts_outbox_sent_total{}"] == 2
    assert samples["accounts_outbox_retries_total{}"] == 1
    assert samples["accounts_outbox_failed_total{}"] == 1
    assert (
        samples[
            "accounts_celery_tasks_total{outcome=succeeded,task=mail.tasks.send_outgoing_email}"
        ]
        == 5
    )


def test_behind_a_proxy_the_client_it_saw_is_what_counts(settings):
    """nginx connects from 127.0.0.1; the client is the address it adds."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    outside = Client(REMOTE_ADDR="127.0.0.1").get(
        "/metrics", headers={"X-Forwarded-For": "203.0.113.9"}
    )
    forged = Client(REMOTE_ADDR="127.0.0.1").get(
        "/metrics", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}
    )

    assert outside.status_code == HTTPStatus.FORBIDDEN
    assert forged.status_code == HTTPStatus.FORBIDDEN
    assert scrape(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")


@pytest.mark.django_db(transaction=True)
def test_deliveries_bounces_and_complaints_reported_by_webhooks_are_counted(
    settings,
):
    settings.ANYMAIL = webhooks.ANYMAIL
    client = Client()
    rows = [
        OutgoingEmailFactory.create(to=f"r{n}@example.com", status="sent")
        for n in range(4)
    ]
    for kind, row in zip(
        ["delivered", "hard_bounce", "soft_bounce", "complaint"], rows, strict=True
    ):
        call = webhooks.postmark(kind, row.to, outbox_id=str(row.pk))
        assert call.post(client).status_code == HTTPStatus.OK

    samples = scrape()

    assert samples["accounts_email_delivered_total{}"] == 1
    assert samples["accounts_email_bounced_total{type=hard}"] == 1
    assert samples["accounts_email_bounced_total{type=soft}"] == 1
    assert samples["accounts_email_complaints_total{}"] == 1


def test_emails_not_sent_to_undeliverable_addresses_are_counted():
    mail_signals.email_suppressed.send(OutgoingEmail, count_of=2)

    assert scrape()["accounts_outbox_suppressed_total{}"] == 2
