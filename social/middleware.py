"""Sign-in with a provider, as a browser and a failing provider meet it.

- The sign-in pages (under /accounts/) may send the browser on to the
  configured providers: their buttons are forms, and `form-action 'self'`
  would stop the redirect that follows in a real browser.
- A provider that is down, slow or answers garbage ends in a readable page
  (allauth's authentication error, in our layout), from which the person
  can sign in another way: allauth catches a failed token request, but not a
  discovery document it cannot fetch, nor a profile missing its fields.
- A provider without credentials answers 404, not allauth's 500.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.internal import statekit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.http import Http404

from project.csp import allow_form_action

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

# What a provider's broken answer raises on its way through allauth.
PROVIDER_FAILURES = (
    requests.RequestException,
    OAuth2Error,
    ProviderException,
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
)
# The views that talk to a provider: its login (the redirect) and callback,
# and the API's redirect to it.
HEADLESS_VIEWS = {"redirect_to_provider"}


def authorize_origin(provider: Any) -> str:
    """Where a provider's sign-in page is, without asking it: its OAuth2
    adapter's authorize URL, or for an OpenID Connect provider its issuer
    (whose authorization endpoint it is expected to serve)."""
    if provider.id == "openid_connect":
        url = provider.app.settings.get("server_url", "")
    else:
        url = getattr(provider.get_oauth2_adapter(None), "authorize_url", "")
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _provider_view_id(request: HttpRequest, kwargs: dict) -> str | None:
    """The provider (or sub-provider) id a provider's login or callback view
    serves; None for every other view."""
    match = request.resolver_match
    if match is None or not match.url_name:
        return None
    name = match.url_name
    if name in ("openid_connect_login", "openid_connect_callback"):
        return str(kwargs.get("provider_id", ""))
    if name.endswith(("_login", "_callback")) and match.func.__module__.startswith(
        "allauth.socialaccount.providers."
    ):
        return name.rsplit("_", 1)[0]
    return None


def provider_of_view(request: HttpRequest, kwargs: dict) -> Any | None:
    """The provider a provider view serves, for its error page."""
    adapter = get_adapter(request)
    if provider_id := _provider_view_id(request, kwargs):
        return adapter.get_provider(request, provider_id)
    match = request.resolver_match
    if match is not None and match.url_name in HEADLESS_VIEWS:
        return adapter.get_provider(request, request.POST.get("provider", ""))
    return None


class ProviderMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/accounts/")
            and not response.has_header("Location")
            and response.get("Content-Type", "").startswith("text/html")
        ):
            providers = get_adapter(request).list_providers(request)
            allow_form_action(response, *map(authorize_origin, providers))
        return response

    def process_view(self, request: HttpRequest, view, args, kwargs) -> None:
        request.social_view_kwargs = kwargs  # type: ignore[attr-defined]
        name = _provider_view_id(request, kwargs)
        if name is not None and not get_adapter(request).list_apps(
            request, provider=name
        ):
            raise Http404  # not configured here (any more)
        # The state a callback is about to take from the session: kept, so
        # that an error page still knows where the person was going (a
        # single-page app's, for the API).
        state_id = request.GET.get("state")
        if state_id:
            stashed = statekit.get_states(request).get(state_id)
            if stashed:
                request.social_state = stashed[0]  # type: ignore[attr-defined]

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        kwargs = getattr(request, "social_view_kwargs", {})
        try:
            provider = provider_of_view(request, kwargs)
        except SocialApp.DoesNotExist:
            raise Http404 from exception
        if provider is None:
            return None
        if isinstance(exception, SocialApp.DoesNotExist):
            raise Http404 from exception
        if not isinstance(exception, PROVIDER_FAILURES):
            return None
        state = getattr(request, "social_state", None)
        if state is None:
            stashed = statekit.get_states(request)
            newest = statekit.get_oldest_state(
                stashed, rev=True, provider_id=provider.sub_id
            )
            state = stashed[newest][0] if newest else None
        return render_authentication_error(
            request,
            provider,
            exception=exception,
            extra_context={"state": state} if state else {},
        )
