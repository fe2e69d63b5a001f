"""The activity log's settings, read at use with their defaults."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


class AppSettings:
    @property
    def RETENTION(self) -> timedelta:
        """Events older than this are purged daily."""
        return timedelta(days=getattr(settings, "ACTIVITY_RETENTION_DAYS", 365))

    @property
    def NEW_DEVICE_AFTER(self) -> timedelta:
        """A device unused this long counts as new again: its next sign-in is
        mailed to the owner."""
        return timedelta(days=getattr(settings, "ACTIVITY_NEW_DEVICE_DAYS", 90))

    @property
    def PAGE_SIZE(self) -> int:
        return getattr(settings, "ACTIVITY_PAGE_SIZE", 20)


app_settings = AppSettings()
