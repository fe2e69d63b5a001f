"""A local inbox for `./dev run`: mail the worker sends, readable in the browser.

Development only. The email backend keeps each message as an .eml file under
DEV_INBOX_DIR; the views at /dev/inbox/ list and show them with clickable
links, so the whole verification flow works with no mail server.
"""

from __future__ import annotations

import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage as ParsedMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override


class InboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        inbox = Path(settings.DEV_INBOX_DIR)
        inbox.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            # Names sort by arrival, newest last.
            name = f"{timezone.now():%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
            (inbox / name).write_bytes(message.message().as_bytes())
        return len(email_messages)


def _messages() -> list[tuple[str, ParsedMessage]]:
    inbox = Path(settings.DEV_INBOX_DIR)
    if not inbox.is_dir():
        return []
    files = sorted(inbox.glob("*.eml"), reverse=True)
    return [(f.stem, _parse(f)) for f in files]


def _parse(path: Path) -> ParsedMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def _load(message_id: str) -> ParsedMessage:
    path = Path(settings.DEV_INBOX_DIR) / f"{message_id}.eml"
    if "/" in message_id or not path.is_file():
        raise Http404
    return _parse(path)


def inbox(request):
    rows = [
        {
            "id": message_id,
            "to": message["To"],
            "subject": message["Subject"],
            "date": parsedate_to_datetime(message["Date"]),
        }
        for message_id, message in _messages()
    ]
    return render(request, "dev_inbox/inbox.html", {"rows": rows})


def message(request, message_id: str):
    parsed = _load(message_id)
    text = parsed.get_body(preferencelist=("plain",))
    return render(
        request,
        "dev_inbox/message.html",
        {
            "id": message_id,
            "to": parsed["To"],
            "subject": parsed["Subject"],
            "date": parsed["Date"],
            "text": text.get_content() if text else "",
            "has_html": parsed.get_body(preferencelist=("html",)) is not None,
        },
    )


# The HTML part as a mail client would show it: inline styles, no scripts.
@csp_override(
    {
        "default-src": [CSP.NONE],
        "style-src": [CSP.UNSAFE_INLINE],
        "img-src": [CSP.SELF, "data:"],
    }
)
def message_html(request, message_id: str):
    html = _load(message_id).get_body(preferencelist=("html",))
    if html is None:
        raise Http404
    return HttpResponse(html.get_content())
