"""Celery tasks of the accounts app: thin wrappers."""

from __future__ import annotations

from celery import shared_task

from users.session_records import purge_ended_sessions as purge


@shared_task
def purge_ended_sessions() -> int:
    """Daily: expired sessions, and the device rows of ended ones."""
    return purge()
