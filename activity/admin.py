"""Security events in the admin: read-only, filtered by type, found by address."""

from __future__ import annotations

from django.contrib import admin

from activity.models import Event
from project.admin import ReadOnlyAdmin

EVENT_FIELDS = ("at", "type", "email", "user", "ip", "user_agent", "details")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("at", "type", "email", "ip")
    list_filter = ("type",)
    search_fields = ("email",)
    date_hierarchy = "at"
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS
    list_select_related = ("user",)
