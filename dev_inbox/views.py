"""The inbox at /dev/inbox/: the messages of dev_inbox/backend.py, listed and
shown with clickable links."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override

if TYPE_CHECKING:
    from email.message import EmailMessage as ParsedMessage


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
