"""HTTP policies that hold for every response, whichever app answers it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http.request import split_domain_port
from django.utils.cache import add_never_cache_headers

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

# Pages whose URL or body carries a live key.
KEY_PAGES = {
    "account_confirm_email",
    "account_reset_password_from_key",
    "social_approve_connection",
}
# API responses anyone may cache: the published contract.
PUBLIC_API_PATHS = (
    "/_allauth/openapi.",
    "/_allauth/browser/v1/config",
    "/_allauth/app/v1/config",
)
API_PREFIXES = ("/_allauth/", "/api/")


def public_origin(request: HttpRequest) -> str:
    """The scheme and host that absolute URLs of this service start with.

    DJANGO_PUBLIC_URL when it is set. Otherwise the request's host name, with
    the service's scheme and that scheme's default port: a port that a
    client put in its Host header never reaches a link.
    """
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL
    domain, _port = split_domain_port(request.get_host())
    return f"{request.scheme}://{domain}"


class PublicOriginMiddleware:
    """Every absolute URL the service builds, every link in every email among
    them, starts with `public_origin`.

    ALLOWED_HOSTS ignores ports, so `Host: accounts.example.com:8443` passes
    it, and Django's `build_absolute_uri` would put that port into a
    password-reset link. Django builds every absolute URI from the request's
    `_current_scheme_host`; it is pinned here, once the host is validated
    (CommonMiddleware runs first).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request._current_scheme_host = public_origin(request)  # type: ignore[attr-defined]  # noqa: SLF001
        return self.get_response(request)


def carries_secrets(request: HttpRequest) -> bool:
    """Whether a response may hold a token, a key or someone's personal data."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return True
    if "Authorization" in request.headers or "X-Session-Token" in request.headers:
        return True
    if request.path.startswith(API_PREFIXES):
        return not request.path.startswith(PUBLIC_API_PATHS)
    match = request.resolver_match
    return match is not None and match.url_name in KEY_PAGES


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response that carries a secret or
    personal data: tokens (RFC 6749 section 5.1), key pages, and anything a
    signed-in person sees. Public pages keep whatever caching they had."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if carries_secrets(request):
            add_never_cache_headers(response)
        return response
