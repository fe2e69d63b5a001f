"""The dev inbox: messages the worker sends under `./dev run`, kept as files
and shown at /dev/inbox/ with clickable links."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
from django.core.mail import EmailMultiAlternatives
from django.urls import include, path

from dev_inbox.backend import InboxEmailBackend
from project.urls import urlpatterns as project_urlpatterns

if TYPE_CHECKING:
    from django.test import Client

# The dev settings mount the inbox; these tests mount it beside the rest.
urlpatterns = [path("dev/inbox/", include("dev_inbox.urls")), *project_urlpatterns]

pytestmark = [
    pytest.mark.urls(__name__),
    pytest.mark.django_db,
]


@pytest.fixture
def inbox(settings, tmp_path):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "dev_inbox"]
    settings.DEV_INBOX_DIR = tmp_path / "inbox"
    return settings.DEV_INBOX_DIR


def deliver(to: str, subject: str, text: str, html: str | None = None) -> None:
    message = EmailMultiAlternatives(subject, text, "accounts@localhost", [to])
    if html:
        message.attach_alternative(html, "text/html")
    assert InboxEmailBackend().send_messages([message]) == 1


def test_the_backend_keeps_each_message_as_a_file_in_arrival_order(inbox):
    deliver("first@example.com", "First", "one")
    deliver("second@example.com", "Second", "two")

    files = sorted(inbox.glob("*.eml"))
    assert len(files) == 2
    assert b"first@example.com" in files[0].read_bytes()
    assert b"second@example.com" in files[1].read_bytes()


def test_the_inbox_lists_messages_newest_first(inbox, client: Client):
    deliver("first@example.com", "First subject", "one")
    deliver("second@example.com", "Second subject", "two")

    page = client.get("/dev/inbox/").content.decode()

    assert page.index("Second subject") < page.index("First subject")
    assert "first@example.com" in page


def test_a_message_shows_its_text_with_a_clickable_link(inbox, client: Client):
    link = "http://127.0.0.1:8000/accounts/confirm-email/KEY/"
    deliver("reader@example.com", "Confirm", f"Confirm here:\n\n{link}\n", "<p>x</p>")
    (message_id,) = [f.stem for f in inbox.glob("*.eml")]

    page = client.get(f"/dev/inbox/{message_id}/")
    html = client.get(f"/dev/inbox/{message_id}/html/")

    assert page.status_code == HTTPStatus.OK
    assert f'href="{link}"' in page.content.decode()
    assert html.content == b"<p>x</p>\n"
    assert "default-src 'none'" in html["Content-Security-Policy"]


@pytest.mark.parametrize("message_id", ["nothing-here", "..", "%2e%2e"])
def test_an_unknown_message_is_a_404(inbox, client: Client, message_id):
    deliver("reader@example.com", "Confirm", "text")

    assert client.get(f"/dev/inbox/{message_id}/").status_code == HTTPStatus.NOT_FOUND


def test_a_text_only_message_has_no_html_view(inbox, client: Client):
    deliver("reader@example.com", "Plain", "text only")
    (message_id,) = [f.stem for f in inbox.glob("*.eml")]

    response = client.get(f"/dev/inbox/{message_id}/html/")

    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "dev inbox</a>"), ("ko", "개발용 받은편지함</a>")],
)
def test_every_page_says_where_the_mail_went(inbox, client, language, words):
    page = client.get("/", headers={"Accept-Language": language}).content.decode()

    assert 'class="dev-banner"' in page
    assert '<a href="/dev/inbox/">' in page
    assert words in page


def test_without_the_dev_inbox_no_page_mentions_it(client):
    page = client.get("/").content.decode()

    assert "dev-banner" not in page
