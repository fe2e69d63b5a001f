"""Every link in every email opens a page of the running service, in both
languages, read out of each part as a mail client reads it: in the text part
an autolinker takes a URL up to the next whitespace, so a word or a Korean
particle glued to a link would break it; in the HTML part, every href."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
import requests

from tests.support import sign_in_providers
from tests.support.emails import every_email, links_in_html, links_in_text
from tests.support.processes import Web, service_env

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # Rows keep their bodies only until a worker sends them.
    pytest.mark.usefixtures("no_session_worker"),
]


@pytest.fixture(scope="module")
def web(artifacts, django_db_setup, django_db_blocker) -> Iterator[Web]:
    """The service under gunicorn, with the sign-in providers configured as
    in the process that made the emails: a link to approve connecting
    Google opens its page there."""
    providers = sign_in_providers.environment(sign_in_providers.running())
    server = Web(artifacts, service_env(**providers)).start()
    yield server
    server.stop()


@pytest.mark.parametrize("tricky", [False, True], ids=["plain", "tricky-input"])
@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_link_in_every_email_opens_a_page(web, settings, language, tricky):
    """Also when people's names and addresses are full of markup, Korean,
    emoji and right-to-left text (tests/support/emails.py's tricky Sender)."""
    settings.PUBLIC_URL = web.url  # links lead to the server under test
    broken = []
    for name, email in every_email(language, tricky=tricky).items():
        text_links = links_in_text(email.body_text)
        html_links = links_in_html(email.body_html)
        assert text_links, f"{name}: no link, not even the service's own"
        assert set(html_links) == set(text_links), name
        for link in text_links:
            assert link.startswith(f"{web.url}/"), (name, link)
            response = requests.get(link, timeout=30)
            if response.status_code != HTTPStatus.OK:
                broken.append((name, link, response.status_code))

    assert broken == []
