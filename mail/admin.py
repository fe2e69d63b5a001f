"""The outbox in the admin: read-only rows, never their bodies; and the
undeliverable addresses, which staff may clear."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mail import outbox, suppression
from mail.app_settings import app_settings
from mail.models import OutgoingEmail, Suppression
from project.admin import ReadOnlyAdmin, short_time

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest, HttpResponse


class PurgeForm(forms.Form):
    days = forms.IntegerField(label=_("Older than (days)"), min_value=1, max_value=3650)


# Every column but the bodies, which hold live links; the next attempt only
# while there will be one.
SHOWN_FIELDS = (
    "to",
    "subject",
    "kind_label",
    "status",
    "attempts",
    "next_attempt",
    "last_error",
    "created_at",
    "sent_at",
    "idempotency_key",
    "message_id",
    "provider_message_id",
    "requested_by_hand",
    "delivery",
    "delivery_at",
)


def kind_labels() -> dict[str, str]:
    """What each kind is called, in the reader's language (MAIL_KINDS)."""
    if app_settings.KINDS is None:
        return {}
    return dict(import_string(app_settings.KINDS).choices)


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = OutgoingEmail.objects.order_by().values_list("kind", flat=True)
        kinds = kinds.distinct()
        labels = kind_labels()
        return sorted((kind, labels.get(kind, kind)) for kind in kinds)

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    """The outbox, read-only. Bodies hold live links: they are never shown."""

    list_display = [
        "to",
        "kind_label",
        "status",
        "attempts",
        "created",
        "next_attempt",
        "sent",
        "delivery",
    ]
    list_filter = ["status", KindFilter, "delivery"]
    search_fields = ["to"]
    date_hierarchy = "created_at"
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS
    actions = ["retry_now", "purge_sent"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutgoingEmail]:
        return super().get_queryset(request).defer("body_text", "body_html")

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, email: OutgoingEmail) -> str:
        return kind_labels().get(email.kind, email.kind)

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, email: OutgoingEmail) -> str:
        return short_time(email.created_at)

    @admin.display(description=_("next attempt at"), ordering="next_attempt_at")
    def next_attempt(self, email: OutgoingEmail) -> str:
        """A sent or failed row has no next attempt: its column keeps the
        time of the last one, which is not worth showing as a future."""
        if email.status in (OutgoingEmail.Status.PENDING, OutgoingEmail.Status.SENDING):
            return short_time(email.next_attempt_at)
        return short_time(None)

    @admin.display(description=_("sent"), ordering="sent_at")
    def sent(self, email: OutgoingEmail) -> str:
        return short_time(email.sent_at)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return app_settings.RESENDER is not None and request.user.has_perm(
            "mail.change_outgoingemail"
        )

    def has_purge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("mail.delete_outgoingemail")

    @admin.action(description=_("Retry failed emails now"), permissions=["retry"])
    def retry_now(
        self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]
    ) -> None:
        resend = import_string(app_settings.RESENDER or "")  # set: see permission
        failed = list(queryset.filter(status=OutgoingEmail.Status.FAILED))
        sent = sum(resend(request, email) for email in failed)
        self.message_user(
            request,
            ngettext(
                "Queued %(count)d fresh email.", "Queued %(count)d fresh emails.", sent
            )
            % {"count": sent},
            messages.SUCCESS,
        )
        if skipped := queryset.count() - sent:
            self.message_user(
                request,
                ngettext(
                    "Skipped %(count)d row: not failed, or nothing to send again.",
                    "Skipped %(count)d rows: not failed, or nothing to send again.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(
        description=_("Purge sent emails older than N days…"), permissions=["purge"]
    )
    def purge_sent(
        self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]
    ) -> HttpResponse | None:
        form = PurgeForm(
            request.POST if "apply" in request.POST else None,
            initial={"days": app_settings.RETENTION.days},
        )
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/mail/outgoingemail/purge.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Purge sent emails"),
                    "form": form,
                    "queryset": queryset,
                    "opts": self.model._meta,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        days = form.cleaned_data["days"]
        deleted = outbox.purge_sent(timedelta(days=days), queryset)
        self.message_user(
            request,
            ngettext(
                "Deleted %(count)d sent email older than %(days)d days.",
                "Deleted %(count)d sent emails older than %(days)d days.",
                deleted,
            )
            % {"count": deleted, "days": days},
            messages.SUCCESS,
        )
        return None


class UndeliverableFilter(admin.SimpleListFilter):
    title = _("undeliverable")
    parameter_name = "undeliverable"

    def lookups(self, request: HttpRequest, model_admin: object) -> list:
        return [("yes", _("Yes")), ("no", _("No (cleared, or soft bounces only)"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Suppression]
    ) -> QuerySet[Suppression]:
        if self.value() == "yes":
            return queryset.filter(suppressed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(suppressed_at__isnull=True)
        return queryset


BOUNCED = [
    OutgoingEmail.Delivery.SOFT_BOUNCE,
    OutgoingEmail.Delivery.BOUNCED,
    OutgoingEmail.Delivery.COMPLAINED,
]


@admin.register(Suppression)
class SuppressionAdmin(ReadOnlyAdmin):
    """Addresses the providers reported undeliverable: why, since when, and
    the outbox rows that bounced. Staff clear one once the person has fixed
    their mailbox (or verifying the address again clears it)."""

    list_display = [
        "address",
        "is_undeliverable",
        "reason",
        "suppressed_at",
        "provider",
        "soft_bounces",
        "cleared_at",
    ]
    list_filter = [UndeliverableFilter, "reason", "provider"]
    search_fields = ["address"]
    date_hierarchy = "suppressed_at"
    fields = (
        "address",
        "reason",
        "detail",
        "provider",
        "suppressed_at",
        "soft_bounces",
        "soft_bounce_window_start",
        "cleared_at",
        "cleared_by",
        "bounced_emails",
    )
    readonly_fields = fields
    actions = ["clear"]

    @admin.display(boolean=True, description=_("undeliverable"))
    def is_undeliverable(self, obj: Suppression) -> bool:
        return obj.is_active

    @admin.display(description=_("emails that bounced"))
    def bounced_emails(self, obj: Suppression) -> str:
        rows = OutgoingEmail.objects.filter(to=obj.address, delivery__in=BOUNCED)
        rows = rows.only("pk", "kind", "sent_at", "delivery").order_by("-created_at")
        items = format_html_join(
            "",
            '<li><a href="{}">{} #{}</a>: {} ({})</li>',
            (
                (
                    reverse("admin:mail_outgoingemail_change", args=[row.pk]),
                    row.kind,
                    row.pk,
                    row.get_delivery_display(),
                    row.sent_at,
                )
                for row in rows[:50]
            ),
        )
        return format_html("<ul>{}</ul>", items) if items else "-"

    def has_clear_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("mail.change_suppression")

    @admin.action(
        description=_("Clear: let mail go to these addresses again"),
        permissions=["clear"],
    )
    def clear(self, request: HttpRequest, queryset: QuerySet[Suppression]) -> None:
        by = f"staff #{request.user.pk}"
        cleared = sum(suppression.clear(s.address, by=by) for s in queryset)
        self.message_user(
            request,
            ngettext(
                "Cleared %(count)d address.", "Cleared %(count)d addresses.", cleared
            )
            % {"count": cleared},
            messages.SUCCESS,
        )
