"""Whatever people type, every page and every email shows it as typed:
escaped, never markup, and set apart from the text around it. Names carry
HTML, Korean, an emoji and right-to-left text (TRICKY_NAME); addresses a
quoted local part full of markup, which is a valid address."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from tests.support.emails import TRICKY_NAME, Sender, every_email
from tests.support.factories import PASSWORD, give_totp
from users.models import User

pytestmark = pytest.mark.django_db

TRICKY_ADDRESS = re.compile(r"\"<i>&'[\w-]+'</i>\"@example\.com")


def markup_in(html: str) -> list[str]:
    """What of the tricky values reached a page or a part as markup."""
    return [
        raw
        for raw in ('<script>alert("x")', "<i>&'", '</i>"@', " & <b>")
        if raw in html
    ]


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_email_shows_names_and_addresses_as_typed(language):
    for name, email in every_email(language, tricky=True).items():
        assert markup_in(email.body_html) == [], name
        for value in TRICKY_ADDRESS.findall(email.body_text):
            assert escape(value) in email.body_html, (name, value)
        assert TRICKY_ADDRESS.search(email.to), name


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_page_shows_names_and_addresses_as_typed(language):
    sender = Sender(language, tricky=True)
    user = sender.user("page")
    # A browser that calls itself names too: the device lists show it.
    client = sender.client(**{"User-Agent": TRICKY_NAME})
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    boss = User.objects.create_superuser(f"boss-{language}@example.com", PASSWORD)
    give_totp(boss)  # the admin asks staff for a second factor
    staff = Client(headers=sender.headers)
    staff.force_login(boss)

    pages = {
        path: client.get(path)
        for path in [
            "/",
            "/profile/",
            "/accounts/email/",
            "/profile/activity/",
            "/accounts/sessions/",
        ]
    } | {
        path: staff.get(path)
        for path in [
            reverse("admin:users_user_changelist"),
            reverse("admin:users_user_change", args=[user.pk]),
            reverse("admin:account_emailaddress_changelist"),
            reverse("admin:activity_event_changelist"),
        ]
    }

    for path, response in pages.items():
        html = response.content.decode()
        assert response.status_code == HTTPStatus.OK, path
        assert markup_in(html) == [], path
        if path != "/profile/activity/":  # events name devices, not people
            assert escape(user.email) in html or escape(user.name) in html, path
    assert f"<bdi>{escape(user.name)}</bdi>" in pages["/"].content.decode()
