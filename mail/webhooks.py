"""Bounce and complaint webhooks of the providers, at anymail's paths
(`/anymail/<esp>/tracking/`), with what anymail leaves to us.

anymail checks each provider's signature or basic auth: Mailgun's HMAC of
timestamp and token (MAILGUN_WEBHOOK_SIGNING_KEY), SendGrid's ECDSA
signature of timestamp and body (SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY),
and the basic-auth ANYMAIL_WEBHOOK_SECRET, which is all that guards Postmark
and Amazon SES (anymail does not check SNS signatures). It checks no
timestamp's age and no reuse, so a captured Mailgun signature would fit any
body. Here:

- A provider whose guard is not configured has no endpoint (404): no
  webhook is ever taken unauthenticated.
- Authentication first, then freshness: the call's timestamp (Mailgun's and
  SendGrid's signed one, SNS's, Postmark's event time) must be within
  MAIL_WEBHOOK_MAX_AGE, and its token (Mailgun), signature (SendGrid),
  SNS message id or body (Postmark) unseen; seen ones are kept as
  `WebhookReceipt` rows, in the same transaction as the changes they cause.
  Unsigned, wrongly signed, stale or replayed: 4xx, nothing changes, and a
  warning names the provider and the reason, never the body.
- A body anymail's parsers choke on (a JSON array, not JSON, fields
  missing) or a report about a message we don't know: 200, so the provider
  stops retrying, and nothing changes.
- Each event is taken once (in SendGrid's batches, its event id is a
  receipt too), and handed to `suppression.apply`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from anymail.exceptions import (
    AnymailConfigurationError,
    AnymailError,
    AnymailNotSupportedWarning,
    AnymailWebhookValidationFailure,
)
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.base import AnymailBasicAuthMixin
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from mail import suppression
from mail.app_settings import app_settings
from mail.messages import OUTBOX_ID
from mail.models import WebhookReceipt

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest

logger = logging.getLogger(__name__)

# Clocks disagree: a timestamp this far in the future is still "now".
CLOCK_SKEW = timedelta(minutes=5)
# What anymail's parsers raise on a body of an unexpected shape.
PARSE_ERRORS = (
    ValueError,  # not JSON, bad numbers and dates
    KeyError,
    TypeError,  # a JSON array where an object was expected
    AttributeError,
    IndexError,
    AnymailError,
    AnymailConfigurationError,  # an inbound event at the tracking URL
)


class Refused(Exception):  # noqa: N818 (what happens to the request)
    """The call is refused: unauthenticated, stale or replayed."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error(status: int, code: str, message: str) -> JsonResponse:
    """allauth's error shape, as every 4xx of ours."""
    return JsonResponse(
        {"status": status, "errors": [{"message": message, "code": code}]},
        status=status,
    )


class Guarded(AnymailBasicAuthMixin):
    """Our checks around one of anymail's tracking views."""

    provider = ""
    # Whether one call carries many events, which another call (a retry of
    # part of a batch) may carry again: then each event id is a receipt too.
    # Otherwise the call's own receipt covers its one event.
    batches = False

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.authenticate(request)
            stamp, key = self.freshness(request)
        except Refused as refused:
            logger.warning(
                "Refused %s webhook from %s: %s",
                self.provider,
                request.META.get("REMOTE_ADDR", "?"),
                refused.code,
            )
            return error(refused.status, refused.code, refused.message)
        except PARSE_ERRORS as exc:
            return self.ignored(exc)
        try:
            events = self.parse_events(request)
        except PARSE_ERRORS as exc:
            return self.ignored(exc)
        if stamp is None:
            return self.ignored(KeyError("timestamp"))
        if not self.check_fresh(stamp) or not receive(self.provider, f"call:{key}"):
            logger.warning(
                "Refused %s webhook from %s: replayed or stale",
                self.provider,
                request.META.get("REMOTE_ADDR", "?"),
            )
            return error(
                HTTPStatus.CONFLICT,
                "replayed",
                "This call is too old, or was received already.",
            )
        for event in events:
            self.take(event)
        return HttpResponse(status=HTTPStatus.OK)

    def authenticate(self, request: HttpRequest) -> None:
        """Basic auth first (anymail runs a provider's own checks before it,
        and some parse the body), then the provider's signature."""
        try:
            AnymailBasicAuthMixin.validate_request(self, request)
        except AnymailWebhookValidationFailure as exc:
            raise Refused(
                HTTPStatus.UNAUTHORIZED, "unauthenticated", "Authentication failed."
            ) from exc
        try:
            self.run_validators(request)
        except AnymailWebhookValidationFailure as exc:
            raise Refused(
                HTTPStatus.BAD_REQUEST, "invalid_signature", "Invalid signature."
            ) from exc

    def freshness(self, request: HttpRequest) -> tuple[datetime | None, str]:
        """When the call was made (or its event happened), and what makes it
        unique; read once it is authenticated."""
        raise NotImplementedError

    @staticmethod
    def check_fresh(stamp: datetime) -> bool:
        now = timezone.now()
        return now - app_settings.WEBHOOK_MAX_AGE <= stamp <= now + CLOCK_SKEW

    def ignored(self, exc: BaseException) -> HttpResponse:
        # The exception's text may quote the body: only its class is logged.
        logger.info(
            "Ignored a %s webhook of an unexpected shape (%s)",
            self.provider,
            type(exc).__name__,
        )
        return HttpResponse(status=HTTPStatus.OK)

    def take(self, event: AnymailTrackingEvent) -> None:
        kind = self.kind_of(event)
        if kind is None or not event.recipient:
            return
        if (
            self.batches
            and event.event_id
            and not receive(self.provider, f"event:{event.event_id}:{event.recipient}")
        ):
            return  # the same event in another call: taken already
        metadata = event.metadata if isinstance(event.metadata, dict) else {}
        suppression.apply(
            suppression.Report(
                provider=self.provider,
                kind=kind,
                recipient=str(event.recipient),
                message_id=str(event.message_id or ""),
                outbox_id=str(metadata.get(OUTBOX_ID, "")),
                timestamp=event.timestamp,
                detail=str(event.mta_response or event.description or ""),
            )
        )

    def kind_of(self, event: AnymailTrackingEvent) -> str | None:
        """The report in our words (suppression.KINDS), or None to ignore it."""
        if event.event_type == EventType.DELIVERED:
            return suppression.DELIVERED
        if event.event_type == EventType.COMPLAINED:
            return suppression.COMPLAINT
        return None


def receive(provider: str, key: str) -> bool:
    """Record `key` as seen; False if it was already. One statement."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    table = connection.ops.quote_name(WebhookReceipt._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (provider, key, received_at) "  # noqa: S608 (model's name)
            "VALUES (%s, %s, %s) ON CONFLICT (provider, key) DO NOTHING RETURNING 1",
            [provider, digest, timezone.now()],
        )
        return cursor.fetchone() is not None


def purge_receipts() -> int:
    """Forget calls older than MAIL_WEBHOOK_MAX_AGE: age alone refuses them now."""
    cutoff = timezone.now() - app_settings.WEBHOOK_MAX_AGE - CLOCK_SKEW
    deleted, _ = WebhookReceipt.objects.filter(received_at__lt=cutoff).delete()
    return deleted


def _from_epoch(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(str(value)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class PostmarkTracking(Guarded, PostmarkTrackingWebhookView):
    provider = "postmark"

    def freshness(self, request: HttpRequest) -> tuple[datetime | None, str]:
        # No signature and no token: the event's own time, and the body.
        event = json.loads(request.body)
        stamp = None
        for field in ("BouncedAt", "DeliveredAt", "ReceivedAt", "ChangedAt"):
            if isinstance(event.get(field), str):
                stamp = parse_datetime(event[field])
                break
        return stamp, _sha256(request.body)

    def kind_of(self, event: AnymailTrackingEvent) -> str | None:
        bounce_type = event.esp_event.get("Type")
        if event.event_type == EventType.BOUNCED:
            return {
                "HardBounce": suppression.HARD_BOUNCE,
                "SoftBounce": suppression.SOFT_BOUNCE,
            }.get(bounce_type)
        if (
            event.event_type == EventType.REJECTED
            and event.reject_reason == RejectReason.INVALID
        ):
            return suppression.HARD_BOUNCE  # "BadEmailAddress"
        return super().kind_of(event)


class MailgunTracking(Guarded, MailgunTrackingWebhookView):
    provider = "mailgun"

    def freshness(self, request: HttpRequest) -> tuple[datetime | None, str]:
        if request.content_type == "application/json":
            signature = json.loads(request.body)["signature"]
            return _from_epoch(signature["timestamp"]), str(signature["token"])
        return _from_epoch(request.POST["timestamp"]), request.POST["token"]

    def kind_of(self, event: AnymailTrackingEvent) -> str | None:
        # "failed": permanent is a bounce, temporary (Mailgun retries) a
        # soft one.
        if event.event_type == EventType.BOUNCED:
            return suppression.HARD_BOUNCE
        if event.event_type == EventType.DEFERRED:
            return suppression.SOFT_BOUNCE
        return super().kind_of(event)


class SendGridTracking(Guarded, SendGridTrackingWebhookView):
    provider = "sendgrid"
    batches = True

    def __init__(self, **kwargs: Any) -> None:
        with warnings.catch_warnings():
            # anymail no longer supports SendGrid officially; it still works.
            warnings.simplefilter("ignore", AnymailNotSupportedWarning)
            super().__init__(**kwargs)

    def freshness(self, request: HttpRequest) -> tuple[datetime | None, str]:
        stamp = request.headers["X-Twilio-Email-Event-Webhook-Timestamp"]
        return _from_epoch(stamp), _sha256(stamp.encode() + request.body)

    def kind_of(self, event: AnymailTrackingEvent) -> str | None:
        if event.event_type == EventType.BOUNCED:
            if event.esp_event.get("type") == "blocked":
                return suppression.SOFT_BOUNCE
            return suppression.HARD_BOUNCE
        if event.event_type == EventType.REJECTED and event.reject_reason in (
            RejectReason.BOUNCED,
            RejectReason.INVALID,
        ):
            return suppression.HARD_BOUNCE  # dropped: a known bounced address
        return super().kind_of(event)


class AmazonSESTracking(Guarded, AmazonSESTrackingWebhookView):
    provider = "amazon_ses"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.META.get("HTTP_AUTHORIZATION"):
            # SNS sends credentials only after a 401 that asks for them.
            response = error(
                HTTPStatus.UNAUTHORIZED, "unauthenticated", "Authentication required."
            )
            response["WWW-Authenticate"] = 'Basic realm="webhooks"'
            return response
        return super().post(request, *args, **kwargs)

    def freshness(self, request: HttpRequest) -> tuple[datetime | None, str]:
        sns = self._parse_sns_message(request)
        return parse_datetime(sns["Timestamp"]), str(sns["MessageId"])

    def kind_of(self, event: AnymailTrackingEvent) -> str | None:
        if event.event_type == EventType.BOUNCED:
            bounce = event.esp_event.get("bounce", {})
            if bounce.get("bounceType") == "Permanent":
                return suppression.HARD_BOUNCE
            return suppression.SOFT_BOUNCE
        return super().kind_of(event)

    def get_boto_client(self, service_name: str, **kwargs: Any) -> Any:
        # ANYMAIL_API_URL is SES's endpoint; confirming an SNS subscription
        # must reach SNS itself.
        params: dict[str, Any] = self.client_params  # type: ignore[has-type]
        self.client_params = {k: v for k, v in params.items() if k != "endpoint_url"}
        return super().get_boto_client(service_name, **kwargs)


VIEWS: dict[str, type[Guarded]] = {
    "postmark": PostmarkTracking,
    "mailgun": MailgunTracking,
    "sendgrid": SendGridTracking,
    "amazon_ses": AmazonSESTracking,
}


def is_guarded(provider: str) -> bool:
    """Whether the provider's webhook has the check it needs configured."""
    anymail = getattr(settings, "ANYMAIL", {})
    basic_auth = bool(anymail.get("WEBHOOK_SECRET"))
    if provider == "mailgun":
        # anymail would fall back on the API key; we want the signing key.
        return bool(anymail.get("MAILGUN_WEBHOOK_SIGNING_KEY"))
    if provider == "sendgrid":
        return basic_auth or bool(
            anymail.get("SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY")
        )
    return basic_auth


def tracking_view(provider: str) -> Callable[..., HttpResponse]:
    """The webhook of `provider`; 404 while its guard is not configured."""
    view = VIEWS[provider].as_view()

    def webhook(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_guarded(provider):
            logger.warning("A %s webhook arrived, but none is configured", provider)
            return error(
                HTTPStatus.NOT_FOUND, "not_configured", "No such webhook here."
            )
        return view(request, *args, **kwargs)

    webhook.csrf_exempt = True  # type: ignore[attr-defined]
    return webhook
