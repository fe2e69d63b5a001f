"""What more than one app's admin shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.utils import timezone

if TYPE_CHECKING:
    from datetime import datetime

    from django.http import HttpRequest


def short_time(value: datetime | None) -> str:
    """A moment in 16 characters, 2026-12-07 14:05, for a column of a list:
    Django's "Dec. 7, 2026, 2:05 p.m." pushes a list past a laptop's width.
    No moment is the admin's "-" (a read-only field would say "None")."""
    if value is None:
        return admin.site.empty_value_display
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the service writes and staff only read: a record, not a form.

    Actions of a subclass still run; they check their own permissions.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
