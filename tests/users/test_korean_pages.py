"""Every page renders in Korean for a Korean reader: no text left in English
that either catalog (ours, or our corrections of allauth's) translates."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from http import HTTPStatus

import polib
import pytest
from django.conf import settings
from django.test import Client

from tests.support.factories import (
    PASSWORD,
    UserFactory,
    give_recovery_codes,
    give_totp,
)

pytestmark = pytest.mark.django_db

KOREAN = {"Accept-Language": "ko"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def translated_english() -> set[str]:
    """Every English string a Korean catalog of ours translates."""
    found = set()
    for folder in settings.LOCALE_PATHS:
        catalog = polib.pofile(str(folder / "ko" / "LC_MESSAGES" / "django.po"))
        found |= {
            e.msgid.strip()
            for e in catalog.translated_entries()
            if e.msgstr.strip() != e.msgid.strip() and "%" not in e.msgid
        }
    return found


class Text(HTMLParser):
    """The text a reader sees: text nodes and labels of buttons and inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("script", "style", "title"):
            self._hidden += 1
        attrs = dict(attrs)
        for name in ("placeholder", "aria-label", "alt", "title"):
            if attrs.get(name):
                self.nodes.append(attrs[name].strip())
        if tag == "input" and attrs.get("type") in ("submit", "button"):
            self.nodes.append((attrs.get("value") or "").strip())

    def handle_endtag(self, tag) -> None:
        if tag in ("script", "style", "title"):
            self._hidden -= 1

    def handle_data(self, data) -> None:
        if not self._hidden and data.strip():
            self.nodes.append(" ".join(data.split()))


def english_left_on(html: str, english: set[str]) -> list[str]:
    parser = Text()
    parser.feed(html)
    # The language switch names each language in its own tongue, and the
    # service goes by its configured name.
    names = {"English", settings.SITE_NAME}
    return [node for node in parser.nodes if node in english and node not in names]


def signed_in_with_factors() -> Client:
    user = UserFactory.create(email="korean@example.com", language="ko")
    give_totp(user)
    give_recovery_codes(user)
    client = Client(headers=KOREAN)
    client.force_login(user)
    # Reauthenticate, so pages behind a fresh sign-in render too.
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    return client


SIGNED_IN_PAGES = [
    "/",
    "/profile/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/2fa/",
    "/accounts/2fa/recovery-codes/",
    "/accounts/2fa/recovery-codes/generate/",
    "/accounts/2fa/totp/deactivate/",
    "/accounts/2fa/webauthn/",
    "/accounts/2fa/webauthn/add/",
    "/accounts/sessions/",
    "/accounts/reauthenticate/",
]
ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/login/code/",
    "/accounts/password/reset/",
    "/accounts/confirm-email/",
]


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_pages_for_a_signed_in_person_are_all_korean(path):
    response = signed_in_with_factors().get(path)

    assert response.status_code == HTTPStatus.OK, response
    html = response.content.decode()
    assert '<html lang="ko">' in html
    assert HANGUL.search(html)
    assert english_left_on(html, translated_english()) == []


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_pages_for_a_visitor_are_all_korean(path):
    response = Client(headers=KOREAN).get(path)

    assert response.status_code == HTTPStatus.OK
    assert english_left_on(response.content.decode(), translated_english()) == []


def test_the_second_step_of_a_login_is_korean(user):
    give_totp(user)
    client = Client(headers=KOREAN)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    response = client.get("/accounts/2fa/authenticate/")

    assert response.status_code == HTTPStatus.OK
    assert english_left_on(response.content.decode(), translated_english()) == []
