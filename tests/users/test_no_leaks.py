"""No response body, log record or email carries a password or a hash, and no
log line carries a verification or reset link."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

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
