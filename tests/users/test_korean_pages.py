"""Every page renders in Korean for a Korean reader: no text left in English,
whether a catalog (ours, or our corrections of allauth's) translates it or
no catalog knows it at all."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.test import Client

from tests.support.factories import (
    PASSWORD,
    UserFactory,
    give_recovery_codes,
    give_security_key,
    give_totp,
)
from tests.support.korean import translated_english

pytestmark = pytest.mark.django_db

KOREAN = {"Accept-Language": "ko"}
# A Korean reader's name, shown on some pages: data, in Hangul.
KOREAN_NAME = "김민지"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


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


LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Text that is data, not wording: addresses, links, browsers, secrets, codes.
DATA = re.compile(
    r"^(\S+@\S+|https?://\S+|otpauth://\S+|Mozilla/.*|[A-Z2-7]{16,}"
    r"|[A-Z0-9]{4}-[A-Z0-9]{4})$"
)
# Words Korean pages keep in Latin letters: the language switch names
# English in English, and these are names or abbreviations Korean services
# use as they are.
KEPT_IN_LATIN = {"English", "OTP", "IP", "QR"}


DATA_IN_TEXT = re.compile(r"\S+@\S+|https?://\S+")
# Two or more words in a row: a phrase, not a name.
LATIN_PHRASE = re.compile(r"[A-Za-z]{2,}(?:[ ,.'-]+[A-Za-z]{2,})+")


def untranslated_on(html: str) -> list[str]:
    """Text a Korean reader sees in Latin letters: a string no catalog
    translates, whether or not any catalog knows it. Either a text with no
    Hangul at all, or an English phrase beside Hangul (a template's literal
    text after a translated one)."""
    parser = Text()
    parser.feed(html)
    found = []
    for node in parser.nodes:
        # The service goes by its configured name, in any language.
        if DATA.match(node) or node == settings.SITE_NAME:
            continue
        wording = DATA_IN_TEXT.sub("", node)
        if HANGUL.search(wording):
            words = [LATIN_WORD.findall(p) for p in LATIN_PHRASE.findall(wording)]
        else:
            words = [LATIN_WORD.findall(wording)]
        if any(set(w) - KEPT_IN_LATIN for w in words):
            found.append(node)
    return found


def assert_all_korean(html: str) -> None:
    assert english_left_on(html, translated_english()) == []
    assert untranslated_on(html) == []


def signed_in_with_factors() -> Client:
    user = UserFactory.create(
        email="korean@example.com", name=KOREAN_NAME, language="ko"
    )
    give_totp(user)
    give_recovery_codes(user)
    give_security_key(user, "노트북 패스키")
    client = Client(headers=KOREAN)
    # A wrong password first, so the activity page has a row to show.
    client.post("/accounts/login/", {"login": user.email, "password": "wrong-1"})
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
    "/accounts/2fa/webauthn/keys/{key}/edit/",
    "/accounts/2fa/webauthn/keys/{key}/remove/",
    "/accounts/sessions/",
    "/accounts/reauthenticate/",
    "/accounts/2fa/reauthenticate/",
    "/profile/delete/",
    "/profile/activity/",
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
    client = signed_in_with_factors()
    key = Authenticator.objects.get(type=Authenticator.Type.WEBAUTHN)

    response = client.get(path.format(key=key.pk))

    assert response.status_code == HTTPStatus.OK, response
    html = response.content.decode()
    assert '<html lang="ko">' in html
    assert HANGUL.search(html)
    assert_all_korean(html)


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_pages_for_a_visitor_are_all_korean(path):
    response = Client(headers=KOREAN).get(path)

    assert response.status_code == HTTPStatus.OK
    assert_all_korean(response.content.decode())


def test_the_second_step_of_a_login_is_korean(user):
    give_totp(user)
    client = Client(headers=KOREAN)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    response = client.get("/accounts/2fa/authenticate/")

    assert response.status_code == HTTPStatus.OK
    assert_all_korean(response.content.decode())


def test_enrolling_an_authenticator_app_is_korean():
    user = UserFactory.create(name=KOREAN_NAME, language="ko")
    client = Client(headers=KOREAN)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})

    response = client.get("/accounts/2fa/totp/activate/")

    assert response.status_code == HTTPStatus.OK
    assert_all_korean(response.content.decode())


def test_entering_a_login_code_is_korean():
    user = UserFactory.create(name=KOREAN_NAME, language="ko")
    client = Client(headers=KOREAN)
    client.post("/accounts/login/code/", {"email": user.email})

    response = client.get("/accounts/login/code/confirm/")

    assert response.status_code == HTTPStatus.OK
    assert_all_korean(response.content.decode())


def test_reauthenticating_by_a_mailed_code_is_korean():
    user = UserFactory.create(name=KOREAN_NAME, language="ko", password=None)
    client = Client(headers=KOREAN)
    client.force_login(user)

    before = client.get("/accounts/reauthenticate/code/")
    client.post("/accounts/reauthenticate/code/", {"send": "1"})
    after = client.get("/accounts/reauthenticate/code/")

    for response in (before, after):
        assert response.status_code == HTTPStatus.OK
        assert_all_korean(response.content.decode())
    assert before.content != after.content  # asking, then entering the code
