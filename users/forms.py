"""Forms for the user's own pages and for the admin."""

from __future__ import annotations

from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.utils.translation import gettext_lazy as _

from users.addresses import CanonicalEmailField
from users.models import User


class SignupForm(allauth_forms.SignupForm):
    """allauth's signup form, refusing any field sent more than once.

    A form keeps the last of repeated values; an account must never be made
    from a guess about which address was meant.
    """

    def clean(self) -> dict:
        getlist = getattr(self.data, "getlist", None)
        if getlist:
            for name in self.fields:
                if len(getlist(name)) > 1:
                    self.add_error(name, _("Enter a single value."))
        return super().clean()


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login form, under the limits of allauth's login.

    Django's form authenticates past allauth, so the per-account limit on
    failed logins would not hold here: an attacker locked out of
    /accounts/login/ could go on guessing at /admin/login/. Authenticating
    through allauth's adapter counts every failure against the same budget,
    and refuses even the right password once it is spent.
    """

    def clean(self) -> dict:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            adapter = get_adapter(self.request)
            # Raises the "too many failed attempts" error once the budget is spent.
            self.user_cache = adapter.authenticate(
                self.request, email=email, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name"]


class UserCreationForm(auth_forms.AdminUserCreationForm):
    """The admin's add form: an email address and the password twice."""

    class Meta:
        model = User
        fields = ["email"]
        field_classes = {"email": CanonicalEmailField}


class PasswordStatusWidget(auth_forms.ReadOnlyPasswordHashWidget):
    """Whether a password is set, and nothing of its hash.

    Django's widget prints the first characters of the salt and the hash;
    no part of a hash belongs on a page.
    """

    template_name = "users/widgets/password_status.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["usable_password"] = bool(value) and not value.startswith(
            UNUSABLE_PASSWORD_PREFIX
        )
        return context


class UserChangeForm(auth_forms.UserChangeForm):
    password = auth_forms.ReadOnlyPasswordHashField(
        label=_("Password"),
        widget=PasswordStatusWidget,
        help_text=_(
            "Raw passwords are not stored, so there is no way to see the "
            "user's password."
        ),
    )

    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"email": CanonicalEmailField}
