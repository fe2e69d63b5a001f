"""The admin for email users."""

from __future__ import annotations

from datetime import timedelta

from allauth.account import admin as allauth_admin
from allauth.account.adapter import get_adapter
from allauth.account.forms import ResetPasswordForm
from allauth.account.models import EmailAddress
from allauth.decorators import rate_limit
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from users import outbox
from users.adapter import verification_limit_lifted
from users.addresses import CanonicalEmailField
from users.forms import AdminLoginForm, PurgeForm, UserChangeForm, UserCreationForm
from users.models import OutgoingEmail, User


def primary_address(user: User) -> EmailAddress:
    """The user's primary address, created unverified if allauth has none.

    allauth's login and verification work on `EmailAddress` rows; a user added
    in the admin starts without one.
    """
    address = user.emailaddress_set.order_by("-primary").first()
    if address is None:
        address = EmailAddress.objects.create(user=user, email=user.email, primary=True)
    return address


class VerifiedFilter(admin.SimpleListFilter):
    title = _("verified")
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(verified=True)
        if self.value() == "no":
            return queryset.filter(verified=False)
        return queryset


class EmailAddressInline(admin.TabularInline):
    """The user's addresses as allauth knows them; edited in their own admin."""

    model = EmailAddress
    fields = ["email", "primary", "verified"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EmailAddressForm(forms.ModelForm):
    """allauth's address form, storing the canonical spelling."""

    class Meta:
        model = EmailAddress
        fields = ["user", "email", "verified", "primary"]
        field_classes = {"email": CanonicalEmailField}


admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(allauth_admin.EmailAddressAdmin):
    form = EmailAddressForm


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = [
        "email",
        "name",
        "verified",
        "is_staff",
        "is_active",
        "date_joined",
        "last_login",
    ]
    list_filter = ["is_staff", "is_active", VerifiedFilter]
    search_fields = ["email", "name"]
    ordering = ["-date_joined"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["name"]}),
        (
            _("Permissions"),
            {
                "fields": [
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ]
            },
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "usable_password", "password1", "password2"],
            },
        ),
    ]
    actions = ["resend_verification_email", "deactivate"]

    def get_inlines(self, request: HttpRequest, obj: User | None) -> list:
        # A user being added has no addresses yet; save_model creates one.
        return [EmailAddressInline] if obj else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
        return super().get_queryset(request).annotate(verified=Exists(verified))

    @admin.display(boolean=True, ordering="verified", description=_("verified"))
    def verified(self, user: User) -> bool:
        return user.verified

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            primary_address(obj)

    @admin.action(description=_("Resend verification email"))
    def resend_verification_email(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> None:
        # Verified people get one too when staff ask: confirming again is
        # harmless, and staff may be checking that mail reaches them.
        users = list(queryset)
        with verification_limit_lifted():
            for user in users:
                primary_address(user).send_confirmation(request)
        self.message_user(
            request,
            ngettext(
                "Queued %(count)d verification email.",
                "Queued %(count)d verification emails.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Deactivate selected users"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(
                request, _("You cannot deactivate your own account."), messages.ERROR
            )
            queryset = queryset.exclude(pk=request.user.pk)
        count = queryset.update(is_active=False)
        self.message_user(
            request,
            ngettext(
                "Deactivated %(count)d user.", "Deactivated %(count)d users.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )


def resend(request: HttpRequest, email: OutgoingEmail) -> bool:
    """Send a fresh email of the same kind to the same address.

    The failed row's bodies are gone (and its links have expired by now), so
    the message is made again, with new links, through allauth's own flows.
    Notifications are not made again: they reported a moment that has passed.
    """
    Kind = OutgoingEmail.Kind
    if email.kind == Kind.VERIFICATION:
        address = EmailAddress.objects.filter(email__iexact=email.to, verified=False)
        if not address.exists():
            return False
        with verification_limit_lifted():
            address.first().send_confirmation(request)
    elif email.kind in (Kind.PASSWORD_RESET, Kind.UNKNOWN_ACCOUNT):
        form = ResetPasswordForm(data={"email": email.to})
        if not form.is_valid():
            return False
        form.save(request)
    elif email.kind == Kind.ACCOUNT_ALREADY_EXISTS:
        get_adapter(request).send_account_already_exists_mail(email.to)
    else:
        return False
    return True


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """The outbox, read-only. Bodies hold live links: they are never shown."""

    list_display = [
        "id",
        "kind",
        "to",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["to"]
    date_hierarchy = "created_at"
    fields = [
        "to",
        "subject",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "idempotency_key",
    ]
    readonly_fields = fields
    actions = ["retry_now", "purge_sent"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutgoingEmail]:
        return super().get_queryset(request).defer("body_text", "body_html")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("users.change_outgoingemail")

    def has_purge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("users.delete_outgoingemail")

    @admin.action(description=_("Retry failed emails now"), permissions=["retry"])
    def retry_now(
        self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]
    ) -> None:
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
            initial={"days": settings.OUTBOX_RETENTION_DAYS},
        )
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/users/outgoingemail/purge.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Purge sent emails"),
                    "form": form,
                    "queryset": queryset,
                    "opts": self.model._meta,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
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


admin.site.site_header = _("Accounts administration")
admin.site.site_title = _("Accounts")

# /admin/login/ is Django's own page: it authenticates through allauth's
# adapter (AdminLoginForm), which counts failures per account and per
# client, and takes allauth's per-client limit on login attempts, so it is
# no back door for password guessing.
admin.site.login_form = AdminLoginForm
admin.site.login = rate_limit(action="login")(admin.site.login)
