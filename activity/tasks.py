"""Celery tasks of the activity log: thin wrappers."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from activity.app_settings import app_settings
from activity.models import Event


@shared_task
def purge_old_events() -> int:
    """Delete events older than ACTIVITY_RETENTION_DAYS; how many."""
    cutoff = timezone.now() - app_settings.RETENTION
    deleted, _by_model = Event.objects.filter(at__lt=cutoff).delete()
    return deleted
