"""Korean and English: the catalog is complete, pages and emails follow the
reader's language, and the choice sticks."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from http import HTTPStatus

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation

from tests.support.factories import PASSWORD, UserFactory
from tests.support.korean import banned_in
from tests.support.processes import ROOT
from users.models import User

HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Everything makemessages reads strings of ours from: every app of ours,
# the wiring, the site's templates and the catalog itself.
APPS_AND_TEMPLATES = [
    *sorted(p.name for p in ROOT.iterdir() if (p / "apps.py").is_file()),
    "project",
    "templates",
    "locale",
]


def test_every_string_of_ours_has_a_korean_translation(tmp_path):
    """makemessages over a copy of the code; no entry may be new, empty or fuzzy."""
    for name in APPS_AND_TEMPLATES:
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.mo")
        )
    shutil.copy(ROOT / "manage.py", tmp_path)

    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "ko",
            "--no-obsolete",
            "-v0",
        ],
        cwd=tmp_path,
        check=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "project.settings.dev"},
    )

    catalog = polib.pofile(str(tmp_path / "locale/ko/LC_MESSAGES/django.po"))
    assert len(catalog) > 50
    assert [e.msgid for e in catalog.untranslated_entries()] == []
    assert [e.msgid for e in catalog.fuzzy_entries()] == []


def test_no_korean_translation_uses_a_banned_term():
    """Ours and our corrections of allauth's (docs/glossary-ko.md)."""
    found = []
    for folder in settings.LOCALE_PATHS:
        for entry in polib.pofile(str(folder / "ko" / "LC_MESSAGES" / "django.po")):
            for text in (entry.msgstr, *entry.msgstr_plural.values()):
                found += [(entry.msgid, term) for term in banned_in(text)]
    assert found == []


@pytest.mark.django_db
def test_accept_language_picks_korean(client):
    response = client.get(
        reverse("account_signup"), headers={"Accept-Language": "ko-KR,ko;q=0.9"}
    )

    assert b'<html lang="ko">' in response.content
    assert "회원가입" in response.content.decode()


@pytest.mark.django_db
def test_english_is_the_default(client):
    response = client.get(reverse("account_signup"))
    assert b'<html lang="en">' in response.content


@pytest.mark.django_db
def test_the_switcher_keeps_the_choice(client):
    response = client.post(
        reverse("set_language"), {"language": "ko", "next": "/accounts/login/"}
    )

    assert response.status_code == HTTPStatus.FOUND
    page = client.get("/accounts/login/")  # no Accept-Language: the cookie decides
    assert b'<html lang="ko">' in page.content


@pytest.mark.django_db
def test_switching_language_while_signed_in_changes_the_email_language(client, user):
    client.force_login(user)

    client.post(reverse("set_language"), {"language": "ko", "next": "/"})

    user.refresh_from_db()
    assert user.language == "ko"


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing(client, user):
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_signing_up_in_korean_stores_the_language_and_mails_in_korean(mailbox):
    client = Client(headers={"Accept-Language": "ko"})
    client.post(
        reverse("account_signup"),
        {"email": "hangul@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert User.objects.get().language == "ko"
    (message,) = mailbox.wait_for(to="hangul@example.com")
    assert HANGUL.search(message.subject)
    assert HANGUL.search(message.text)
    assert "이메일 주소 확인하기" in message.html  # our layout's button
    assert 'lang="ko"' in message.html


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_an_english_admin_resending_to_a_korean_user_mails_in_korean(
    mailbox, staff_client
):
    korean = UserFactory.create(
        email="minji@example.com", language="ko", verified=False
    )

    staff_client.post(
        reverse("admin:users_user_changelist"),
        {"action": "resend_verification_email", "_selected_action": [korean.pk]},
    )

    (message,) = mailbox.wait_for(to="minji@example.com")
    assert HANGUL.search(message.text)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_a_korean_user_resetting_from_an_english_browser_gets_korean_mail(mailbox):
    UserFactory.create(email="jiho@example.com", language="ko")

    Client().post(reverse("account_reset_password"), {"email": "jiho@example.com"})

    (message,) = mailbox.wait_for(to="jiho@example.com")
    assert HANGUL.search(message.subject)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_a_stranger_is_answered_in_the_language_they_asked_in(mailbox):
    Client(headers={"Accept-Language": "ko"}).post(
        reverse("account_reset_password"), {"email": "stranger@example.com"}
    )

    (message,) = mailbox.wait_for(to="stranger@example.com")
    assert HANGUL.search(message.text)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_english_users_still_get_english_mail(mailbox):
    Client(headers={"Accept-Language": "en"}).post(
        reverse("account_signup"),
        {"email": "plain@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    (message,) = mailbox.wait_for(to="plain@example.com")
    assert not HANGUL.search(message.text)
    assert "Confirm your email address" in message.html


def test_korean_dates_put_the_time_of_day_first():
    moment = datetime(2026, 12, 7, 14, 5, tzinfo=UTC)

    with translation.override("ko"):
        written = formats.date_format(moment, "DATETIME_FORMAT")

    assert written == "2026년 12월 7일 오후 2:05"
