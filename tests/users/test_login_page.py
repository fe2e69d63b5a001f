"""The login page: written out without allauth's element tags
(templates/account/login.html) yet the same page as allauth's own; its
form's empty rendering kept per language (users/forms.py LoginForm), never
a form someone filled in."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from http import HTTPStatus
from pathlib import Path

import allauth
import pytest
from allauth.account.forms import LoginForm as AllauthLoginForm
from django.template import Context, Engine, Template
from django.template.base import Origin
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from users.forms import LoginForm

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'value="[A-Za-z0-9]{64}"')


def page(language: str) -> str:
    response = Client(headers={"Accept-Language": language}).get(
        reverse("account_login")
    )
    assert response.status_code == HTTPStatus.OK
    return TOKEN.sub('value="csrf"', response.content.decode())


def test_the_kept_form_is_allauths_own_rendering_in_each_language():
    request = RequestFactory().get(reverse("account_login"))
    for language in ("en", "ko", "en", "ko"):
        with translation.override(language):
            kept = LoginForm(request=request).as_p()
            fresh = AllauthLoginForm(request=request).as_p()
        assert kept == fresh


def test_each_language_gets_its_own_page():
    english, korean = page("en"), page("ko")

    assert english == page("en")
    assert korean == page("ko")
    assert "Password" in english
    assert "비밀번호" in korean
    assert "Password:" not in korean


def test_an_address_typed_into_a_refused_login_is_shown_to_its_typist_alone(user):
    typed = "typist-only@example.com"
    refused = Client().post(
        reverse("account_login"), {"login": typed, "password": "wrong-Wrong-1"}
    )
    assert refused.status_code == HTTPStatus.OK
    assert typed in refused.content.decode()
    assert "errorlist" in refused.content.decode()

    someone_else = page("en")

    assert typed not in someone_else
    assert "errorlist" not in someone_else


class Markup(HTMLParser):
    """A page as its tags (attributes in any order) and words, whatever the
    whitespace between them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.items: list[tuple] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.items.append(("<", tag, sorted(attrs, key=lambda a: (a[0], a[1] or ""))))

    def handle_endtag(self, tag: str) -> None:
        self.items.append((">", tag))

    def handle_data(self, data: str) -> None:
        self.items.extend(("text", word) for word in data.split())


def allauths_own_login_page(response) -> str:
    """allauth's account/login.html, with its element tags, rendered with
    the context the login view gave ours."""
    source = Path(allauth.__file__).parent / "templates/account/login.html"
    name = "account/login.html"
    template = Template(
        source.read_text(),
        origin=Origin(str(source), template_name=name),
        name=name,
        engine=Engine.get_default(),
    )
    return template.render(Context(response.context[0].flatten()))


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("query", ["", "?next=/accounts/email/"])
def test_the_written_out_page_is_allauths_own(language, query):
    response = Client(headers={"Accept-Language": language}).get(
        reverse("account_login") + query
    )
    ours = response.content.decode()

    theirs = allauths_own_login_page(response)

    assert "<button" in ours
    assert "passkey_login" in ours
    assert Markup(ours).items == Markup(theirs).items


def test_a_refused_login_is_allauths_own_page_too(user):
    response = Client().post(
        reverse("account_login"), {"login": user.email, "password": "wrong-Wrong-1"}
    )

    theirs = allauths_own_login_page(response)

    assert "errorlist" in theirs
    assert Markup(response.content.decode()).items == Markup(theirs).items
