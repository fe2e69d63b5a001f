"""Celery tasks of social sign-in: thin wrappers."""

from __future__ import annotations

from celery import shared_task

from social import linking


@shared_task
def purge_expired_approvals() -> int:
    """Daily: approval links that expired unused."""
    return linking.purge_expired()
