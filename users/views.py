"""The user's own pages: home, profile and the language switch. allauth owns
the account pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.reauthentication import resume_request
from allauth.usersessions.internal.flows.sessions import end_sessions
from allauth.usersessions.models import UserSession
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import i18n
from django.views.decorators.http import require_GET, require_POST

from users import deliverability, reauthentication
from users.forms import MailedCodeForm, ProfileForm
from users.lifecycle import delete_account, export_account

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from users.models import User


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which keeps the choice in a cookie, and for a
    signed-in person also the language their emails are written in."""
    response = i18n.set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    return render(request, "users/profile.html", {"form": form})


class DeleteAccountForm(forms.Form):
    """Deleting is for good: the person ticks that they understand."""

    confirm = forms.BooleanField(
        # Lazy: the label is rendered in the reader's language, not at import.
        label=gettext_lazy(
            "I understand that my account and its data are deleted for good."
        ),
        required=True,
    )


@login_required
@reauthentication_required
def delete_account_page(request: HttpRequest) -> HttpResponse:
    """/profile/delete/: asks once more, then deletes the account for good."""
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        delete_account(request, cast("User", request.user))
        logout(request)
        messages.success(request, _("Your account was deleted."))
        return redirect("home")
    return render(request, "users/profile_delete.html", {"form": form})


@login_required
@require_GET
def export_page(request: HttpRequest) -> HttpResponse:
    """/profile/export/: everything we hold about the person, as a JSON file."""
    response = JsonResponse(
        export_account(cast("User", request.user)), json_dumps_params={"indent": 2}
    )
    response["Content-Disposition"] = 'attachment; filename="account-export.json"'
    return response


@login_required
def reauthenticate_by_code(request: HttpRequest) -> HttpResponse:
    """/accounts/reauthenticate/code/: an account with neither password nor
    second factor proves its mailbox again (users/reauthentication.py)."""
    user = cast("User", request.user)
    if not reauthentication.needs_mailed_code(user):
        # The password or a factor does: allauth's page, same destination.
        query = request.GET.urlencode()
        url = reverse("account_reauthenticate")
        return redirect(f"{url}?{query}" if query else url)
    if request.method == "POST" and "send" in request.POST:
        if not reauthentication.send_code(request, user):
            messages.error(
                request, _("Too many codes were asked for. Try again in a minute.")
            )
        return redirect(request.get_full_path())
    form = MailedCodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if reauthentication.confirm_code(request, user, form.cleaned_data["code"]):
            return resume_request(request) or redirect("profile")
        form.add_error(
            "code", _("This code is wrong or has expired. Ask for a new one.")
        )
    return render(
        request,
        "users/reauthenticate_code.html",
        {"form": form, "sent": reauthentication.code_pending(request)},
    )


@require_POST
def resend_verification(request: HttpRequest) -> HttpResponse:
    """/accounts/email/resend/: the confirmation-sent page's "send it again",
    for the address this session signed up (or signed in) with."""
    messages.info(request, deliverability.resend_pending(request))
    return redirect("account_email_verification_sent")


@login_required
@require_POST
def end_session(request: HttpRequest, pk: int) -> HttpResponse:
    """Sign one device out, from the signed-in devices page (allauth's page
    ends only all the others at once). Ending this device's own session
    signs this browser out too."""
    session = get_object_or_404(UserSession, pk=pk, user_id=request.user.pk)
    end_sessions(request, [session])  # recorded and mailed (users/sessions.py)
    if not request.user.is_authenticated:
        return redirect("account_login")
    messages.success(request, _("That device was signed out."))
    return redirect("usersessions_list")


@login_required
@require_POST
def retry_address(request: HttpRequest) -> HttpResponse:
    """/accounts/email/retry/: the owner of an undeliverable address says
    they fixed the mailbox; mail goes to it again (until it bounces again)."""
    email = request.POST.get("email", "")
    if deliverability.retry_address(cast("User", request.user), email):
        messages.success(
            request,
            _(
                "We will send email to %(email)s again. If it does not arrive "
                "again, we will stop again and tell you."
            )
            % {"email": email},
        )
    return redirect("account_email")
