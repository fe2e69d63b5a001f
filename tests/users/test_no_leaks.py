"""No response body, log record or email carries a password or a hash, and no
log line carries a verification or reset link; no second factor's secret
leaves its owner's pages."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

import pytest
from celery.signals import before_task_publish
from django.test import Client
from django.urls import reverse

from activity.models import Event
from mail.models import OutgoingEmail
from tests.support.api import APP, bearer, call, login, reauthenticate, tokens_of
from tests.support.factories import UserFactory, fresh_totp_code
from tests.support.flows import found
from users.models import User

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("worker"),
]

PASSWORD = "Secret-Sauce-Password-1"
NEW_PASSWORD = "Other-Secret-Sauce-2"
WRONG_PASSWORD = "Wrong-Secret-Sauce-3"


class Recorder(Client):
    """A test client that keeps every response body it sees."""

    def __init__(self, bodies: list[bytes]) -> None:
        super().__init__(raise_request_exception=False)
        self.bodies = bodies

    def request(self, **request):
        response = super().request(**request)
        self.bodies.append(response.content)
        return response


def test_secrets_never_leak_through_the_whole_account_lifecycle(
    mailbox, worker, caplog
):
    caplog.set_level(logging.DEBUG)
    bodies: list[bytes] = []
    client = Recorder(bodies)
    email = "leaky@example.com"
    start_of_log = len(worker.log())

    client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    # A second signup with the same address and a different password.
    Recorder(bodies).post(
        reverse("account_signup"),
        {"email": email, "password1": WRONG_PASSWORD, "password2": WRONG_PASSWORD},
    )
    # The verification, and "an account already exists" for the second.
    verification, _exists = sorted(
        mailbox.wait_for(2, to=email), key=lambda m: "already" in m.subject
    )
    confirm = found(
        r"http://testserver(/accounts/confirm-email/\S+/)", verification.text
    )
    client.get(confirm)
    client.post(confirm)
    client.post(reverse("account_login"), {"login": email, "password": WRONG_PASSWORD})
    client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    client.get(reverse("home"))
    client.get(reverse("profile"))
    client.post(reverse("account_logout"))
    client.post(reverse("account_reset_password"), {"email": email})
    reset_mail = mailbox.wait_for(3, to=email)[-1]
    reset = found(
        r"http://testserver(/accounts/password/reset/key/\S+/)", reset_mail.text
    )
    form = client.get(reset)["Location"]
    client.post(form, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    hashes = [User.objects.get().password]
    mailbox.wait_for(4, to=email)  # "your password was changed"

    secrets = [PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, *hashes]
    links = [confirm, reset]
    worker_log = worker.log()[start_of_log:]
    # Everything the service logged; "mail.log" is the test SMTP server's own.
    web_log = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("mail.")
    )
    mails = [m.raw for m in mailbox.received]

    for secret in secrets:
        assert not [b for b in bodies if secret.encode() in b], "a response leaks"
        assert secret not in web_log
        assert secret not in worker_log
        assert not [m for m in mails if secret in m], "an email leaks"
    for link in links:
        assert link not in web_log
        assert link not in worker_log


def test_second_factor_secrets_never_leak(mailbox, worker, caplog, staff_client):
    """The app's seed and the recovery codes, old and new, reach their owner's
    pages and answers only: never a log line of the web process or the
    worker, an outbox row, an email, a queued task, an admin page, an
    activity event or the export."""
    caplog.set_level(logging.DEBUG)
    start_of_log = len(worker.log())
    published: list[str] = []

    def on_publish(sender=None, body=None, headers=None, **kwargs) -> None:
        published.append(repr((sender, body, headers)))

    before_task_publish.connect(on_publish, weak=False)
    try:
        user = UserFactory.create(email="guarded@example.com")
        access, _ = tokens_of(login(Client(), user.email)[1])
        headers = bearer(access)
        totp_path = f"{APP}/account/authenticators/totp"
        codes_path = f"{APP}/account/authenticators/recovery-codes"
        secret = call(Client(), "get", totp_path, **headers)[1]["meta"]["secret"]
        assert reauthenticate(Client(), **headers) == HTTPStatus.OK
        code = {"code": fresh_totp_code(secret)}
        assert call(Client(), "post", totp_path, code, **headers)[0] == HTTPStatus.OK
        first_codes = call(Client(), "get", codes_path, **headers)[1]["data"][
            "unused_codes"
        ]
        admin_page = staff_client.get(
            reverse("admin:users_user_change", args=[user.pk])
        ).content.decode()
        renewed = call(Client(), "post", codes_path, {}, **headers)[1]
        new_codes = renewed["data"]["unused_codes"]
        export = call(Client(), "get", "/api/me/export", **headers)[1]
        assert call(Client(), "delete", totp_path, **headers)[0] == HTTPStatus.OK
        # Added, new codes, removed.
        mailbox.wait_for(3, to=user.email)
    finally:
        before_task_publish.disconnect(on_publish)

    secrets = [secret, *first_codes, *new_codes]
    assert len(secrets) == 21
    places = {
        "web log": "\n".join(
            r.getMessage() for r in caplog.records if not r.name.startswith("mail.")
        ),
        "worker log": worker.log()[start_of_log:],
        "outbox rows": json.dumps(
            list(OutgoingEmail.objects.filter(to=user.email).values()), default=str
        ),
        "emails": "\n".join(m.raw for m in mailbox.received),
        "queued tasks": "\n".join(published),
        "admin page": admin_page,
        "activity": json.dumps(
            list(Event.objects.filter(user=user).values()), default=str
        ),
        "export": json.dumps(export),
    }
    assert published, "no task was queued: the check would prove nothing"
    assert "Authenticator app" in admin_page  # the factor is listed, bare
    for place, text in places.items():
        leaked = [s for s in secrets if s in text]
        assert leaked == [], f"{place} holds a secret"
