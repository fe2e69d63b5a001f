"""The login page's form: its empty rendering is kept per language
(users/forms.py LoginForm), never a form someone filled in."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from allauth.account.forms import LoginForm as AllauthLoginForm
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
