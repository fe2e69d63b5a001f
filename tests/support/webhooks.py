"""Provider webhook calls as the providers make them: their documented
payloads, signed as each provider signs, for the tests and the benchmark.

- Postmark: one JSON event per call (Bounce, Delivery, SpamComplaint),
  guarded by HTTP basic auth only.
- Mailgun: `{"signature": {"timestamp", "token", "signature"}, "event-data"}`,
  the signature an HMAC-SHA256 of timestamp + token with the webhook
  signing key.
- SendGrid: a JSON array of events, with `X-Twilio-Email-Event-Webhook-
  Timestamp` and `-Signature`: ECDSA P-256 / SHA-256 of timestamp + body,
  base64; the verification key is the public key's DER, base64.
- Amazon SES: an SNS notification whose `Message` is the SES event (JSON in
  a string), with `x-amz-sns-message-type` and `-id` headers and basic auth.

Each builder returns a `Call`: post it with `call.post(client)`. Every call
carries the basic auth of ANYMAIL_WEBHOOK_SECRET too: when it is set,
anymail asks it of every provider, signatures or not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

if TYPE_CHECKING:
    from django.test import Client

MAILGUN_SIGNING_KEY = "mailgun-webhook-signing-key"
BASIC_AUTH = "webhooks:correct-horse-battery"
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
SENDGRID_VERIFICATION_KEY = base64.b64encode(
    SENDGRID_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()

# The ANYMAIL settings that guard all four webhooks.
ANYMAIL = {
    "WEBHOOK_SECRET": BASIC_AUTH,
    "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
    "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": SENDGRID_VERIFICATION_KEY,
}


def basic_auth(credentials: str = BASIC_AUTH) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Call:
    """One webhook call: where, what, and with which headers."""

    provider: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    @property
    def path(self) -> str:
        return f"/anymail/{self.provider}/tracking/"

    def post(self, client: Client, **overrides: str):
        headers = {**self.headers, **overrides}
        return client.post(
            self.path, self.body, content_type=self.content_type, headers=headers
        )


# --- Postmark -------------------------------------------------------------


def postmark(  # noqa: PLR0913 (keyword-only fields of the payload)
    kind: str,
    recipient: str,
    *,
    message_id: str = "",
    outbox_id: str = "",
    at: datetime | None = None,
    bounce_type: str = "",
) -> Call:
    """A Postmark Bounce (HardBounce, SoftBounce or `bounce_type`), Delivery or
    SpamComplaint webhook."""
    at = at or datetime.now(UTC)
    bounce_type = bounce_type or (
        "SoftBounce" if kind == "soft_bounce" else "HardBounce"
    )
    metadata = {"outbox_id": outbox_id} if outbox_id else {}
    message_id = message_id or str(uuid.uuid4())
    if kind == "delivered":
        event: dict[str, Any] = {
            "RecordType": "Delivery",
            "ServerID": 23,
            "MessageStream": "outbound",
            "MessageID": message_id,
            "Recipient": recipient,
            "Tag": "",
            "DeliveredAt": iso(at),
            "Details": "Test delivery webhook details",
            "Metadata": metadata,
        }
    else:
        complaint = kind == "complaint"
        event = {
            "RecordType": "SpamComplaint" if complaint else "Bounce",
            "ID": secrets.randbelow(10**15),
            "Type": "SpamComplaint" if complaint else bounce_type,
            "TypeCode": 512 if complaint else 1,
            "Name": "Spam complaint" if complaint else "Hard bounce",
            "Tag": "",
            "MessageID": message_id,
            "Metadata": metadata,
            "ServerID": 23,
            "MessageStream": "outbound",
            "Description": "The server was unable to deliver your message",
            "Details": "smtp;550 5.1.1 The email account does not exist.",
            "Email": recipient,
            "From": "accounts@example.com",
            "BouncedAt": iso(at),
            "DumpAvailable": True,
            "Inactive": True,
            "CanActivate": True,
            "Subject": "Confirm your email",
            "Content": "",
        }
    return Call(
        "postmark",
        json.dumps(event).encode(),
        {"Authorization": basic_auth()},
    )


# --- Mailgun --------------------------------------------------------------


def mailgun_signature(
    timestamp: str, token: str, key: str = MAILGUN_SIGNING_KEY
) -> dict:
    digest = hmac.new(
        key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return {"timestamp": timestamp, "token": token, "signature": digest}


def mailgun(  # noqa: PLR0913 (keyword-only fields of the payload)
    kind: str,
    recipient: str,
    *,
    message_id: str = "",
    outbox_id: str = "",
    at: datetime | None = None,
    key: str = MAILGUN_SIGNING_KEY,
) -> Call:
    """A Mailgun "delivered", "failed" (hard_bounce: permanent; soft_bounce:
    temporary) or "complained" event."""
    at = at or datetime.now(UTC)
    timestamp = str(int(at.timestamp()))
    data: dict[str, Any] = {
        "id": secrets.token_urlsafe(16),
        "timestamp": at.timestamp(),
        "recipient": recipient,
        "message": {
            "headers": {
                "message-id": message_id.strip("<>") or f"{uuid.uuid4().hex}@mg"
            }
        },
        "user-variables": {"outbox_id": outbox_id} if outbox_id else {},
        "tags": [],
    }
    if kind == "delivered":
        data["event"] = "delivered"
        data["delivery-status"] = {"code": 250, "message": "OK", "description": ""}
    elif kind == "complaint":
        data["event"] = "complained"
    else:
        data.update(
            event="failed",
            severity="permanent" if kind == "hard_bounce" else "temporary",
            reason="bounce" if kind == "hard_bounce" else "generic",
        )
        data["delivery-status"] = {
            "code": 550 if kind == "hard_bounce" else 452,
            "message": "5.1.1 The email account does not exist"
            if kind == "hard_bounce"
            else "4.2.2 Mailbox full",
            "description": "",
        }
    body = {
        "signature": mailgun_signature(timestamp, secrets.token_hex(25), key),
        "event-data": data,
    }
    return Call("mailgun", json.dumps(body).encode(), {"Authorization": basic_auth()})


# --- SendGrid -------------------------------------------------------------


def sendgrid_headers(
    body: bytes,
    at: datetime | None = None,
    key: ec.EllipticCurvePrivateKey = SENDGRID_KEY,
) -> dict[str, str]:
    timestamp = str(int((at or datetime.now(UTC)).timestamp()))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
    }


def sendgrid_event(
    kind: str,
    recipient: str,
    *,
    message_id: str = "",
    outbox_id: str = "",
    at: datetime | None = None,
) -> dict[str, Any]:
    at = at or datetime.now(UTC)
    event: dict[str, Any] = {
        "email": recipient,
        "timestamp": int(at.timestamp()),
        "sg_event_id": secrets.token_urlsafe(16),
        "sg_message_id": f"{secrets.token_urlsafe(12)}.filter0001",
        "anymail_id": message_id or str(uuid.uuid4()),
    }
    if outbox_id:
        event["outbox_id"] = outbox_id  # custom_args arrive at the top level
    if kind == "delivered":
        event.update(event="delivered", response="250 OK")
    elif kind == "complaint":
        event.update(event="spamreport")
    elif kind == "hard_bounce":
        event.update(
            event="bounce", type="bounce", status="5.1.1", reason="550 5.1.1 no user"
        )
    else:
        event.update(event="bounce", type="blocked", status="4.0.0", reason="blocked")
    return event


def sendgrid(
    kind: str, recipient: str, *, at: datetime | None = None, **ids: str
) -> Call:
    body = json.dumps([sendgrid_event(kind, recipient, at=at, **ids)]).encode()
    headers = {"Authorization": basic_auth(), **sendgrid_headers(body, at)}
    return Call("sendgrid", body, headers)


def sendgrid_batch(events: list[dict[str, Any]], at: datetime | None = None) -> Call:
    body = json.dumps(events).encode()
    headers = {"Authorization": basic_auth(), **sendgrid_headers(body, at)}
    return Call("sendgrid", body, headers)


# --- Amazon SES (through SNS) ----------------------------------------------


def amazon_ses(
    kind: str,
    recipient: str,
    *,
    message_id: str = "",
    outbox_id: str = "",
    at: datetime | None = None,
) -> Call:
    """An SNS notification carrying an SES Bounce (Permanent or Transient),
    Complaint or Delivery event."""
    at = at or datetime.now(UTC)
    mail = {
        "timestamp": iso(at - timedelta(seconds=5)),
        "source": "accounts@example.com",
        "messageId": message_id or f"0100{uuid.uuid4().hex}-000000",
        "destination": [recipient],
        "headers": (
            [{"name": "X-Metadata", "value": json.dumps({"outbox_id": outbox_id})}]
            if outbox_id
            else []
        ),
    }
    if kind == "delivered":
        event: dict[str, Any] = {
            "eventType": "Delivery",
            "mail": mail,
            "delivery": {
                "timestamp": iso(at),
                "recipients": [recipient],
                "smtpResponse": "250 2.6.0 Message received",
            },
        }
    elif kind == "complaint":
        event = {
            "eventType": "Complaint",
            "mail": mail,
            "complaint": {
                "complainedRecipients": [{"emailAddress": recipient}],
                "timestamp": iso(at),
                "feedbackId": secrets.token_hex(8),
                "complaintFeedbackType": "abuse",
            },
        }
    else:
        event = {
            "eventType": "Bounce",
            "mail": mail,
            "bounce": {
                "bounceType": "Permanent" if kind == "hard_bounce" else "Transient",
                "bounceSubType": "General" if kind == "hard_bounce" else "MailboxFull",
                "bouncedRecipients": [
                    {
                        "emailAddress": recipient,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                ],
                "timestamp": iso(at),
                "feedbackId": secrets.token_hex(8),
            },
        }
    sns_id = str(uuid.uuid4())
    notification = {
        "Type": "Notification",
        "MessageId": sns_id,
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:ses-events",
        "Message": json.dumps(event),
        "Timestamp": iso(at),
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/cert.pem",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    }
    return Call(
        "amazon_ses",
        json.dumps(notification).encode(),
        {
            "Authorization": basic_auth(),
            "x-amz-sns-message-type": "Notification",
            "x-amz-sns-message-id": sns_id,
        },
        content_type="text/plain; charset=UTF-8",
    )


BUILDERS = {
    "postmark": postmark,
    "mailgun": mailgun,
    "sendgrid": sendgrid,
    "amazon_ses": amazon_ses,
}
