"""Celery tasks: thin wrappers around `users.mail`."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from users import mail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12


@shared_task(
    bind=True,
    # acks_late: a worker killed mid-send must not lose the message.
    acks_late=True,
    max_retries=MAX_ATTEMPTS - 1,
)
def send_email(
    self, *, to: str, subject: str, text: str, html: str | None, kind: str
) -> None:
    try:
        mail.deliver(to=to, subject=subject, text=text, html=html)
    except Exception as exc:
        if not mail.is_transient(exc) or self.request.retries >= self.max_retries:
            logger.error("Giving up on %s email: %s", kind, exc.__class__.__name__)
            raise
        delay = settings.EMAIL_RETRY_BACKOFF * 2**self.request.retries
        logger.warning("Will retry %s email in %ss: %s", kind, delay, exc)
        raise self.retry(countdown=delay, exc=exc) from None
    logger.info("Sent %s email", kind)
