"""The page an account's owner approves a provider connection on, from the
link mailed to them (social/linking.py)."""

from __future__ import annotations

from http import HTTPStatus

from allauth.socialaccount.adapter import get_adapter
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from social import linking


@require_http_methods(["GET", "POST"])
def approve_connection(request, key: str):
    """A GET only shows the question; a POST connects. Mail scanners that
    prefetch links cannot approve anything."""
    waiting = linking.pending(key)
    adapter = get_adapter(request)
    if waiting is None:
        return render(
            request, "social/approve_invalid.html", status=HTTPStatus.NOT_FOUND
        )
    if not adapter.list_apps(request, provider=waiting.provider):
        # Turned off since the link was mailed: nothing to sign in with.
        return render(
            request,
            "social/approve_invalid.html",
            {"provider_gone": True},
            status=HTTPStatus.NOT_FOUND,
        )
    provider = adapter.get_provider(request, waiting.provider)
    if request.method == "POST":
        if linking.approve(request, waiting) is None:
            messages.error(
                request,
                _("That %(provider)s account is already connected to an account.")
                % {"provider": provider.name},
            )
        else:
            messages.success(
                request,
                _("%(provider)s is connected. You can sign in with it now.")
                % {"provider": provider.name},
            )
        if request.user.is_authenticated and request.user.pk == waiting.user_id:
            return redirect("socialaccount_connections")
        return redirect("account_login")
    return render(
        request,
        "social/approve.html",
        {"provider": provider, "waiting": waiting, "key": key},
    )
