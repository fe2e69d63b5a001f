"""Local stand-ins for the email service providers' sending APIs, built from
their documentation, so the outbox's provider path runs with no internet.

One HTTP server on a free loopback port answers as each provider does:

- Postmark: `POST /email`, JSON, the token in `X-Postmark-Server-Token`;
  200 `{"To", "SubmittedAt", "MessageID", "ErrorCode": 0, "Message": "OK"}`;
  401 for a wrong token; 422 with an `ErrorCode` for a refused message.
- Mailgun: `POST /v3/<domain>/messages`, a form, HTTP basic `api:<key>`;
  200 `{"id": "<...@domain>", "message": "Queued. Thank you."}`; 401
  "Forbidden" for a wrong key.
- SendGrid: `POST /v3/mail/send`, JSON, `Authorization: Bearer <key>`; 202
  and no body; 401 with `{"errors": [...]}`.
- Amazon SES v2: `POST /v2/email/outbound-emails`, JSON with the raw
  message in `Content.Raw.Data` (base64), signed with AWS Signature 4
  (checked for its presence and access key id only); 200 `{"MessageId"}`;
  errors as `x-amzn-ErrorType` and a JSON message.

Tests see every request (`requests`), make the next answers fail with
`fail_next(status, times)`, and slow every answer down with `delay`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from email.message import EmailMessage

POSTMARK_TOKEN = "postmark-test-token"
MAILGUN_KEY = "mailgun-test-key"
MAILGUN_DOMAIN = "mg.example.com"
SENDGRID_KEY = "SG.sendgrid-test-key"
AWS_KEY_ID = "AKIDTESTFAKE"


@dataclass
class Sent:
    """One request the fake took, and what it sends, read back."""

    provider: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    message_id: str = ""
    # The email's headers (name lowercased) and the payload's other fields.
    email_headers: dict[str, str] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    raw: EmailMessage | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        route = self.server.fake.route(self.path)
        if route is None:
            self._answer(404, {"message": "no such endpoint"})
            return
        provider, handler = route
        if self.server.fake.delay:
            time.sleep(self.server.fake.delay)
        status, payload, headers = handler(self, body)
        self.server.fake.record(provider, self, body, status, payload)
        self._answer(status, payload, headers)

    def _answer(
        self, status: int, payload: Any, headers: dict[str, str] | None = None
    ) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet."""


class _Server(ThreadingHTTPServer):
    fake: FakeProviders


class FakeProviders:
    """The four providers' send APIs on one loopback port, in this process."""

    def __init__(self) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.fake = self
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.requests: list[Sent] = []
        self._failures: list[int] = []
        self.delay = 0.0  # seconds before each answer: a slow provider
        self._lock = threading.Lock()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def api_url(self, provider: str) -> str:
        """What ANYMAIL_API_URL would be for `provider`: its base URL, which
        for Mailgun and SendGrid ends in their API's version."""
        return f"{self.url}/v3" if provider in ("mailgun", "sendgrid") else self.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._failures.clear()
        self.delay = 0.0

    def fail_next(self, status: int, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def _failure(self) -> int | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    # --- routing ------------------------------------------------------------

    def route(self, path: str) -> tuple[str, Any] | None:
        if path == "/email":
            return "postmark", self._postmark
        if path == f"/v3/{MAILGUN_DOMAIN}/messages":
            return "mailgun", self._mailgun
        if path == "/v3/mail/send":
            return "sendgrid", self._sendgrid
        if path == "/v2/email/outbound-emails":
            return "amazon_ses", self._ses
        return None

    def record(
        self,
        provider: str,
        request: _Handler,
        body: bytes,
        status: int,
        payload: Any,
    ) -> None:
        sent = Sent(provider, request.path, dict(request.headers), body, status)
        if 200 <= status < 300:
            self._read_back(sent, payload)
        with self._lock:
            self.requests.append(sent)

    # --- each provider ------------------------------------------------------

    def _postmark(self, request: _Handler, body: bytes) -> tuple:
        if request.headers.get("X-Postmark-Server-Token") != POSTMARK_TOKEN:
            return 401, {"ErrorCode": 10, "Message": "Bad or missing API token"}, {}
        if status := self._failure():
            if status == 422:
                return status, {"ErrorCode": 300, "Message": "Invalid 'From'"}, {}
            return status, {"ErrorCode": 100, "Message": "Try again"}, {}
        data = json.loads(body)
        return (
            200,
            {
                "To": data["To"],
                "SubmittedAt": "2026-12-01T10:00:00Z",
                "MessageID": str(uuid.uuid4()),
                "ErrorCode": 0,
                "Message": "OK",
            },
            {},
        )

    def _mailgun(self, request: _Handler, body: bytes) -> tuple:
        expected = base64.b64encode(f"api:{MAILGUN_KEY}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return 401, {"message": "Forbidden"}, {}
        if status := self._failure():
            return status, {"message": f"error {status}"}, {}
        return (
            200,
            {
                "id": f"<{uuid.uuid4().hex}@{MAILGUN_DOMAIN}>",
                "message": "Queued. Thank you.",
            },
            {},
        )

    def _sendgrid(self, request: _Handler, body: bytes) -> tuple:
        if request.headers.get("Authorization") != f"Bearer {SENDGRID_KEY}":
            return 401, {"errors": [{"message": "authorization grant invalid"}]}, {}
        if status := self._failure():
            return status, {"errors": [{"message": f"error {status}"}]}, {}
        return 202, None, {"X-Message-Id": uuid.uuid4().hex}

    def _ses(self, request: _Handler, body: bytes) -> tuple:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256") or AWS_KEY_ID not in auth:
            return (
                403,
                {"message": "The security token included in the request is invalid."},
                {"x-amzn-ErrorType": "UnrecognizedClientException"},
            )
        if status := self._failure():
            error_type = {
                429: "TooManyRequestsException",
                400: "MessageRejected",
            }.get(status, "InternalFailure")
            return (
                status,
                {"message": f"error {status}"},
                {"x-amzn-ErrorType": error_type},
            )
        return 200, {"MessageId": f"0100{uuid.uuid4().hex}-000000"}, {}

    # --- what was sent ------------------------------------------------------

    def _read_back(self, sent: Sent, answer: Any) -> None:
        if sent.provider == "postmark":
            data = json.loads(sent.body)
            sent.fields = data
            sent.email_headers = {
                h["Name"].lower(): h["Value"] for h in data["Headers"]
            }
            sent.message_id = answer["MessageID"]
        elif sent.provider == "mailgun":
            form = {k: v[-1] for k, v in parse_qs(sent.body.decode()).items()}
            sent.fields = form
            sent.email_headers = {
                k[2:].lower(): v for k, v in form.items() if k.startswith("h:")
            }
            sent.message_id = answer["id"]
        elif sent.provider == "sendgrid":
            data = json.loads(sent.body)
            sent.fields = data
            sent.email_headers = {k.lower(): v for k, v in data["headers"].items()}
            sent.message_id = data["personalizations"][0]["custom_args"]["anymail_id"]
        else:
            data = json.loads(sent.body)
            sent.fields = data
            raw = base64.b64decode(data["Content"]["Raw"]["Data"])
            sent.raw = message_from_bytes(raw, policy=policy.default)
            sent.email_headers = {k.lower(): str(v) for k, v in sent.raw.items()}
            sent.message_id = answer["MessageId"]
