"""The admin for email users and their addresses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account import admin as allauth_admin
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from project.admin import short_time
from project.paginator import EstimatedCountPaginator
from users.addresses import CanonicalEmailField
from users.emails import verification_limit_lifted
from users.forms import UserChangeForm, UserCreationForm
from users.lifecycle import delete_account
from users.models import User

if TYPE_CHECKING:
    from django.http import HttpRequest


def primary_address(user: User) -> EmailAddress:
    """The user's primary address, created unverified if allauth has none.

    allauth's login and verification work on `EmailAddress` rows; a user added
    in the admin starts without one.
    """
    address = EmailAddress.objects.filter(user=user).order_by("-primary").first()
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
            return queryset.filter(Exists(verified_addresses()))
        if self.value() == "no":
            return queryset.filter(~Exists(verified_addresses()))
        return queryset


def verified_addresses() -> QuerySet[EmailAddress]:
    """The verified addresses of the user in the outer query."""
    return EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)


ADDRESS_FIELDS = ("email", "primary", "verified")


class EmailAddressInline(admin.TabularInline):
    """The user's addresses as allauth knows them; edited in their own admin."""

    model = EmailAddress
    fields = ADDRESS_FIELDS
    readonly_fields = ADDRESS_FIELDS
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
    # A million rows: count them never in full (project/paginator.py).
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        # The address itself, on its trigram index (users.0008). allauth also
        # searches the account's own address, which is a join the index
        # cannot serve; that address is on the user list.
        return ["email"]


FACTOR_KINDS = {
    Authenticator.Type.TOTP: _("Authenticator app"),
    Authenticator.Type.RECOVERY_CODES: _("Recovery codes"),
    Authenticator.Type.WEBAUTHN: _("Security key or passkey"),
}
FACTOR_FIELDS = ("kind", "name", "created", "last_used")


class AuthenticatorInline(admin.TabularInline):
    """A user's second factors: kind, name and dates, never a secret. Staff
    delete a lost one here, once the person has proven who they are by other
    means (see README)."""

    model = Authenticator
    fields = FACTOR_FIELDS
    readonly_fields = FACTOR_FIELDS
    extra = 0
    verbose_name = _("second factor")
    verbose_name_plural = _("second factors")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("kind"))
    def kind(self, authenticator: Authenticator) -> str:
        return str(FACTOR_KINDS[authenticator.type])

    @admin.display(description=_("name"))
    def name(self, authenticator: Authenticator) -> str:
        """What the person called a security key; other kinds have no name."""
        if authenticator.type == Authenticator.Type.WEBAUTHN:
            return authenticator.wrap().name
        return "-"

    # allauth's fields have no verbose names: the admin would show
    # "CREATED AT" in every language.
    @admin.display(description=_("added"))
    def created(self, authenticator: Authenticator) -> str:
        return short_time(authenticator.created_at)

    @admin.display(description=_("last used"))
    def last_used(self, authenticator: Authenticator) -> str:
        return short_time(authenticator.last_used_at)


# allauth's own admin for factors shows their data: the TOTP secret and the
# recovery codes' seed. Staff manage factors on the user's page instead.
admin.site.unregister(Authenticator)


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
        "joined",
        "last_signed_in",
    ]
    list_filter = ["is_staff", "is_active", VerifiedFilter]
    # Both on trigram indexes, the ordering on (date_joined, id): users.0008.
    search_fields = ["email", "name"]
    ordering = ["-date_joined"]
    # A million rows: count them never in full (project/paginator.py).
    paginator = EstimatedCountPaginator
    show_full_result_count = False
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
        return [EmailAddressInline, AuthenticatorInline] if obj else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # One lookup per listed user, on the user_id index. As an EXISTS,
        # PostgreSQL would first hash the verified addresses of every user:
        # a million of them for a page of 100. LIMIT 1 keeps it per row.
        verified = verified_addresses().values("verified")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(verified=Coalesce(Subquery(verified), Value(value=False)))
        )

    @admin.display(boolean=True, ordering="verified", description=_("verified"))
    def verified(self, user: User) -> bool:
        return bool(getattr(user, "verified", False))  # annotated by get_queryset

    @admin.display(description=_("date joined"), ordering="date_joined")
    def joined(self, user: User) -> str:
        return short_time(user.date_joined)

    @admin.display(description=_("last login"), ordering="last_login")
    def last_signed_in(self, user: User) -> str:
        return short_time(user.last_login)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            primary_address(obj)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        """Staff delete as the person would: data gone, sessions and tokens
        ended, a last email, events kept under a pseudonym."""
        delete_account(request, obj, by_staff=True)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            delete_account(request, user, by_staff=True)

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
        you = request.user.pk or 0
        if queryset.filter(pk=you).exists():
            self.message_user(
                request, _("You cannot deactivate your own account."), messages.ERROR
            )
            queryset = queryset.exclude(pk=you)
        count = queryset.update(is_active=False)
        self.message_user(
            request,
            ngettext(
                "Deactivated %(count)d user.", "Deactivated %(count)d users.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )
