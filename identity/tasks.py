"""Celery tasks of the OpenID Connect provider: thin wrappers."""

from __future__ import annotations

from celery import shared_task

from identity import grants


@shared_task
def purge_expired_tokens() -> int:
    """Daily: expired tokens and grants."""
    return grants.purge_expired()
