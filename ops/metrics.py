"""Prometheus metrics at /metrics, with prometheus-client.

Three sources, one page:

- What web processes count: requests by view, method and status with their
  latency (`accounts_http_request_duration_seconds`), and account events
  (`accounts_logins_total` and the like). Across gunicorn's workers through
  prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, which
  deploy/gunicorn.conf.py sets); in one process without it.
- What workers count (emails sent, failed, retried and not sent to
  undeliverable addresses, Celery task outcomes), and what the providers'
  webhooks report (deliveries, bounces, complaints): workers are other
  processes, often on other hosts, so these counters live in Redis (one
  hash, `accounts:metrics`), shared by the whole deployment. Every web
  instance shows the same values: aggregate them with max(), not sum(). A
  Redis that loses them starts them from zero, which Prometheus reads as a
  counter reset.
- What the database says at scrape time: the outbox's backlog.

Access: from an address in METRICS_ALLOWED_IPS (loopback by default), or
with `Authorization: Bearer <METRICS_TOKEN>`. Anyone else gets 403 and no
metric names.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import os
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import redis
from allauth.account import signals as account_signals
from allauth.account.adapter import get_adapter
from celery import signals as celery_signals
from django.conf import settings
from django.contrib.auth import signals as auth_signals
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from mail import outbox
from mail import signals as mail_signals

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from django.http import HttpRequest

logger = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "accounts_http_request_duration_seconds",
    "Time to answer a request, by view, method and status.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LOGINS = Counter("accounts_logins", "Sign-ins that succeeded.")
LOGIN_FAILURES = Counter("accounts_login_failures", "Sign-ins that failed.")
SIGNUPS = Counter("accounts_signups", "Accounts created.")
VERIFICATIONS = Counter("accounts_email_verifications", "Addresses verified.")
PASSWORD_RESETS = Counter("accounts_password_resets", "Passwords reset by link.")

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

# --- Requests ----------------------------------------------------------------


class MetricsMiddleware:
    """Times every request, labelled by the view's URL name, never its path:
    paths hold keys and ids, and would grow the label set without bound."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or "unnamed") if match else "unmatched"
        method = request.method if request.method in METHODS else "other"
        REQUEST_SECONDS.labels(view, method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


# --- Account events, counted once their transaction commits -------------------


def _count_on_commit(counter: Counter) -> Callable[..., None]:
    def receiver(**kwargs: Any) -> None:
        transaction.on_commit(counter.inc)

    return receiver


def _count_now(counter: Counter) -> Callable[..., None]:
    def receiver(**kwargs: Any) -> None:
        counter.inc()  # a failed sign-in commits nothing to wait for

    return receiver


# --- Counters of the whole deployment, in Redis ------------------------------

CLUSTER_KEY = "accounts:metrics"


def deployment_store() -> redis.Redis | None:
    """Where the deployment-wide counters live: REDIS_URL's Redis."""
    if not settings.REDIS_URL:
        return None  # ./dev run: no shared store; these stay at zero
    return _store(settings.REDIS_URL)


@functools.cache
def _store(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def count(field: str, amount: int = 1) -> None:
    """Add to a deployment-wide counter; a Redis outage loses the count,
    never the work being counted."""
    client = deployment_store()
    if client is None:
        return
    try:
        client.hincrby(CLUSTER_KEY, field, amount)
    except redis.RedisError as exc:
        logger.debug("Metric %s not counted: %s", field, type(exc).__name__)


def _email_sent(count_of: int = 1, **kwargs: Any) -> None:
    count("outbox_sent", count_of)


def _email_failed(count_of: int = 1, **kwargs: Any) -> None:
    count("outbox_failed", count_of)


def _email_deferred(count_of: int = 1, **kwargs: Any) -> None:
    count("outbox_retries", count_of)


def _email_suppressed(count_of: int = 1, **kwargs: Any) -> None:
    count("outbox_suppressed", count_of)


def _email_delivered(count_of: int = 1, **kwargs: Any) -> None:
    count("email_delivered", count_of)


def _email_bounced(count_of: int = 1, hard: bool = True, **kwargs: Any) -> None:  # noqa: FBT001, FBT002 (a signal's keyword)
    count("email_bounced|hard" if hard else "email_bounced|soft", count_of)


def _email_complained(count_of: int = 1, **kwargs: Any) -> None:
    count("email_complaints", count_of)


def _task_outcome(outcome: str) -> Callable[..., None]:
    def receiver(sender: Any = None, **kwargs: Any) -> None:
        name = getattr(sender, "name", None) or str(
            getattr(kwargs.get("request"), "task", "") or "unknown"
        )
        count(f"task|{name}|{outcome}")

    return receiver


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class DeploymentCollector:
    """The Redis counters and the outbox backlog, read at scrape time."""

    def describe(self) -> list:
        """Nothing: registering must not query anything (at start-up there
        may be no database yet)."""
        return []

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        values: dict[str, int] = {}
        client = deployment_store()
        if client is not None:
            try:
                raw = client.hgetall(CLUSTER_KEY)
                values = {_text(k): int(v) for k, v in raw.items()}
            except redis.RedisError as exc:
                logger.warning("Metrics from Redis unavailable: %s", type(exc).__name__)
        for name, text in (
            ("outbox_sent", "Emails the SMTP server accepted."),
            ("outbox_failed", "Emails given up on."),
            ("outbox_retries", "Sending attempts deferred to a later try."),
            ("outbox_suppressed", "Emails not sent: undeliverable address."),
            ("email_delivered", "Emails the provider reported delivered."),
            ("email_complaints", "Spam complaints the provider reported."),
        ):
            yield CounterMetricFamily(
                f"accounts_{name}", text, value=values.get(name, 0)
            )
        bounced = CounterMetricFamily(
            "accounts_email_bounced",
            "Bounces the provider reported, hard or soft.",
            labels=["type"],
        )
        for kind in ("hard", "soft"):
            bounced.add_metric([kind], values.get(f"email_bounced|{kind}", 0))
        yield bounced
        tasks = CounterMetricFamily(
            "accounts_celery_tasks",
            "Celery tasks finished, by task and outcome.",
            labels=["task", "outcome"],
        )
        for field, value in sorted(values.items()):
            if field.startswith("task|"):
                _, task, outcome = field.split("|", 2)
                tasks.add_metric([task, outcome], value)
        yield tasks
        try:
            pending, oldest_age = outbox.backlog()
        except Exception as exc:  # noqa: BLE001 (a scrape never fails for this)
            logger.warning("Outbox backlog unavailable: %s", type(exc).__name__)
            return
        yield GaugeMetricFamily(
            "accounts_outbox_pending", "Emails waiting to be sent.", value=pending
        )
        yield GaugeMetricFamily(
            "accounts_outbox_oldest_pending_seconds",
            "Age of the oldest email waiting to be sent.",
            value=oldest_age or 0,
        )


# --- The page ------------------------------------------------------------------


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(given.encode(), token.encode()):
        return True
    try:
        # The client as the rate limits see it: behind DJANGO_TRUSTED_PROXY_COUNT
        # proxies, the address the nearest one saw (so a request through
        # nginx is not "127.0.0.1"); else the address that connected. A
        # forged X-Forwarded-For changes neither.
        client = ipaddress.ip_address(get_adapter(request).get_client_ip(request))
    except (ValueError, PermissionDenied):
        return False
    return any(client in network for network in settings.METRICS_ALLOWED_NETWORKS)


def _registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY  # one process: its own counts, and _DEPLOYMENT
    # Every process's counts, read from their files at each scrape.
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_DEPLOYMENT)
    return registry


@transaction.non_atomic_requests
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse(
            "Forbidden.\n",
            status=HTTPStatus.FORBIDDEN,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(
        generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST
    )
    response["Cache-Control"] = "no-store"
    return response


_DEPLOYMENT = DeploymentCollector()
_in_registry: list[DeploymentCollector] = []


def connect() -> None:
    """Called from OpsConfig.ready(), which runs again whenever the app
    registry is rebuilt: each receiver is connected once (dispatch_uid)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR") and not _in_registry:
        REGISTRY.register(_DEPLOYMENT)
        _in_registry.append(_DEPLOYMENT)
    receivers = [
        (account_signals.user_logged_in, _count_on_commit(LOGINS)),
        (auth_signals.user_login_failed, _count_now(LOGIN_FAILURES)),
        (account_signals.user_signed_up, _count_on_commit(SIGNUPS)),
        (account_signals.email_confirmed, _count_on_commit(VERIFICATIONS)),
        (account_signals.password_reset, _count_on_commit(PASSWORD_RESETS)),
        (mail_signals.email_sent, _email_sent),
        (mail_signals.email_failed, _email_failed),
        (mail_signals.email_deferred, _email_deferred),
        (mail_signals.email_suppressed, _email_suppressed),
        (mail_signals.email_delivered, _email_delivered),
        (mail_signals.email_bounced, _email_bounced),
        (mail_signals.email_complained, _email_complained),
        (celery_signals.task_success, _task_outcome("succeeded")),
        (celery_signals.task_failure, _task_outcome("failed")),
        (celery_signals.task_retry, _task_outcome("retried")),
        (celery_signals.task_rejected, _task_outcome("rejected")),
    ]
    for number, (signal, receiver) in enumerate(receivers):
        signal.connect(receiver, weak=False, dispatch_uid=f"ops.metrics.{number}")
