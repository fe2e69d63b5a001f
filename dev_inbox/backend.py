"""The email backend of the dev inbox: each message an .eml file under
DEV_INBOX_DIR, named so that the names sort by arrival."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class InboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        inbox = Path(settings.DEV_INBOX_DIR)
        inbox.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            # Names sort by arrival, newest last.
            name = f"{timezone.now():%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
            (inbox / name).write_bytes(message.message().as_bytes())
        return len(email_messages)
