"""Forms for the user's own pages and for the admin."""

from __future__ import annotations

from allauth.account import forms as allauth_forms
from allauth.mfa.webauthn import forms as webauthn_forms
from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.urls import get_script_prefix
from django.utils.translation import get_language
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


class LoginForm(allauth_forms.LoginForm):
    """allauth's login form, whose empty rendering is kept per process.

    Empty, it is the same for everyone who reads a language (labels,
    placeholders, the "Forgot your password?" link): its widget, label and
    error templates were a third of the login page's rendering
    (bench/login_cost.py). A form with data, errors or initial values, or
    rendered with a context of its own, is rendered afresh every time.
    """

    def render(self, template_name=None, context=None, renderer=None):
        if self.is_bound or context is not None or self.initial:
            return super().render(template_name, context, renderer)
        key = (
            get_language(),
            get_script_prefix(),
            template_name or self.template_name,
            renderer,
        )
        rendered = _EMPTY_LOGIN_FORMS.get(key)
        if rendered is None:
            rendered = super().render(template_name, context, renderer)
            _EMPTY_LOGIN_FORMS[key] = rendered
        return rendered


# LoginForm's empty renderings, by language, script prefix, template and
# renderer: a handful per process.
_EMPTY_LOGIN_FORMS: dict[tuple, str] = {}


class MailedCodeForm(forms.Form):
    """A code mailed to the account's address (users/reauthentication.py)."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )


class AddWebAuthnForm(webauthn_forms.AddWebAuthnForm):
    """allauth's form for adding a security key, its name field labelled in
    the reader's language (allauth leaves the label to Django, in English)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name")


class EditWebAuthnForm(webauthn_forms.EditWebAuthnForm):
    """allauth's form for renaming a security key, labelled likewise."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name")


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
