"""Account flows as a person drives them, and the links in their mail."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.urls import reverse

from mail.models import OutgoingEmail
from tests.support.factories import PASSWORD

if TYPE_CHECKING:
    from django.test import Client

NEW_PASSWORD = "quiet-Harbor-meadow-58"


def signup(client: Client, email: str, password: str = PASSWORD, **extra):
    """POST the signup page's form."""
    data = {"email": email, "password1": password, "password2": password}
    data.update(extra)
    return client.post(reverse("account_signup"), data)


def login(client: Client, email: str, password: str = PASSWORD):
    """POST the login page's form."""
    return client.post(reverse("account_login"), {"login": email, "password": password})


def link_in(text: str, path_fragment: str) -> str:
    """The first absolute link in a message whose path contains `path_fragment`."""
    for url in re.findall(r"https?://[^\s\"'<>]+", text):
        if path_fragment in url:
            return url
    msg = f"no link containing {path_fragment!r} in:\n{text}"
    raise AssertionError(msg)


def path_of(url: str) -> str:
    return urlsplit(url).path


def found(pattern: str, text: str, group: int = 1) -> str:
    """A group of `pattern`'s first match in `text`; failing the test if none."""
    match = re.search(pattern, text)
    if match is None:
        msg = f"{pattern!r} not found in:\n{text}"
        raise AssertionError(msg)
    return match[group]


def code_in(text: str) -> str:
    """The code on a line of its own in a mailed code's text (allauth's
    format, ABCD-EFGH)."""
    return found(r"(?m)^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", text)


def mailed_code(email: str) -> str:
    """The code in the newest mail to `email` still in the outbox: a login
    code, or a reauthentication code."""
    row = OutgoingEmail.objects.filter(to=email).order_by("-pk").first()
    assert row is not None, f"no mail to {email}"
    return code_in(row.body_text)


def prove_mailbox(client: Client, email: str) -> None:
    """Reauthenticate `client`'s session by a code mailed to `email`, as an
    account with neither password nor second factor must before a
    sensitive change (users/reauthentication.py)."""
    client.post("/accounts/reauthenticate/code/", {"send": "1"})
    client.post("/accounts/reauthenticate/code/", {"code": mailed_code(email)})
