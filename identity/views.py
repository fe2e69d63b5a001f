"""Our gate in front of allauth's OpenID Connect endpoints, and the person's
list of apps with access (/profile/apps/).

allauth's views run the protocol and each of ours calls one of them; ours
only add what allauth leaves out:

- authorize: an unknown app or an unregistered redirect URI gets our error
  page (400), never a redirect; PKCE only with S256; the sign-in pages on the
  way and the consent page let the browser go back to the app (the
  Content-Security-Policy's form-action); each authorization is recorded.
- token: a reused authorization code, or a rotated-away refresh token
  presented again, revokes the tokens issued from it; every token issued is
  tied to its grant.
- revoke: a client revokes only its own tokens, and revoking a refresh token
  revokes its grant.
- device authorization: off (`device_grant_off`), and not in discovery.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, cast
from urllib.parse import parse_qs, urlsplit

from allauth.core.internal.httpkit import add_query_params, extract_basic_auth
from allauth.idp.oidc import views as oidc_views
from allauth.idp.oidc.adapter import get_adapter as get_oidc_adapter
from allauth.idp.oidc.forms import RPInitiatedLogoutForm
from allauth.idp.oidc.internal.clientkit import is_redirect_uri_allowed, lookup_client
from allauth.idp.oidc.models import Client, Token
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.signing import BadSignature, Signer
from django.db.models import Max, Min
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from activity.events import Type, record
from identity import codes, grants
from identity.csp import forget_pending_origin, remember_pending_origin, source_of
from identity.models import Grant
from project.csp import allow_form_action

if TYPE_CHECKING:
    from django.http import HttpRequest

    from users.models import User

logger = logging.getLogger(__name__)


# --- discovery ----------------------------------------------------------------

# Public documents, read with GET: no form, so no CSRF check that would call
# another method "forbidden" instead of "not allowed".
jwks = csrf_exempt(require_GET(oidc_views.jwks))


@csrf_exempt
@require_GET
def configuration(request: HttpRequest) -> HttpResponse:
    """allauth's discovery document, less the device authorization
    endpoint, which is off (`device_grant_off`)."""
    response = oidc_views.configuration(request)
    document = json.loads(response.content)
    document.pop("device_authorization_endpoint", None)
    if isinstance(document.get("grant_types_supported"), list):
        document["grant_types_supported"] = [
            grant
            for grant in document["grant_types_supported"]
            if grant != Client.GrantType.DEVICE_CODE
        ]
    response.content = json.dumps(document)  # allauth's headers kept
    return response


# --- device authorization (RFC 8628): off ----------------------------------------

DEVICE_GRANT_OFF = (
    "This service does not offer device authorization: sign in through the "
    "browser with an authorization code instead."
)


@csrf_exempt
def device_grant_off(request: HttpRequest) -> HttpResponse:
    """allauth's device flow stays off, at its endpoint and on its page. Its
    confirmation form is exempt from the CSRF check (another site could
    approve its own device for whoever is signed in here, held back only by
    SameSite cookies), and the tokens it issues are tied to no browser
    session, so ending the session that approved them would not end them."""
    return oauth_error("unsupported_grant_type", DEVICE_GRANT_OFF)


def device_page_off(request: HttpRequest) -> HttpResponse:
    """The page where a person would approve a device: not found."""
    raise Http404(DEVICE_GRANT_OFF)


# --- authorize ----------------------------------------------------------------


@csrf_exempt  # allauth's own view checks CSRF on the consent form's POST
def authorize(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("request"):
        return _consent_answered(request)
    if request.method != "GET":
        return oidc_views.authorization(request)
    params = request.GET
    client = (
        lookup_client(params.get("client_id", "")) if params.get("client_id") else None
    )
    redirect_uri = params.get("redirect_uri", "")
    if client is None or not is_redirect_uri_allowed(
        redirect_uri, client.get_redirect_uris(), client.allow_uri_wildcards
    ):
        return render(
            request,
            "identity/authorize_error.html",
            {"unknown_app": client is None},
            status=HTTPStatus.BAD_REQUEST,
        )
    if "code_challenge" in params and params.get("code_challenge_method") != "S256":
        # RFC 7636 section 4.4.1; "plain" shows the verifier to whoever sees
        # the authorization request.
        return _back_to_app(
            redirect_uri,
            {
                "error": "invalid_request",
                "error_description": "code_challenge_method must be S256.",
                **({"state": params["state"]} if params.get("state") else {}),
            },
        )
    response = oidc_views.authorization(request)
    if _is_redirect_here(response):
        # Off to sign in (or sign in again) first: the pages on the way must
        # let the browser return to the app.
        remember_pending_origin(request, source_of(redirect_uri))
    elif response.status_code == HTTPStatus.OK:
        if isinstance(response, TemplateResponse):  # the consent page
            allow_form_action(response, source_of(redirect_uri))
        else:
            response.status_code = HTTPStatus.BAD_REQUEST  # allauth's error page
    _note_outcome(request, response, client, redirect_uri, params.get("scope", ""))
    return response


def _consent_answered(request: HttpRequest) -> HttpResponse:
    """The consent form's POST; allauth checks its signed request."""
    try:
        _scopes, info = Signer().unsign_object(request.POST["request"])
    except (BadSignature, ValueError, TypeError):
        info = None
    response = oidc_views.authorization(request)
    if isinstance(info, dict) and (client := lookup_client(str(info.get("client_id")))):
        _note_outcome(
            request,
            response,
            client,
            str(info.get("redirect_uri", "")),
            " ".join(request.POST.getlist("scopes")),
        )
    return response


def _is_redirect_here(response: HttpResponse) -> bool:
    location = response.get("Location", "")
    return response.status_code == HTTPStatus.FOUND and location.startswith("/")


def _note_outcome(
    request: HttpRequest,
    response: HttpResponse,
    client: Client,
    redirect_uri: str,
    scope: str,
) -> None:
    """When the browser goes back to the app: with a code, remember which
    session it came from and record the authorization."""
    location = response.get("Location", "")
    if response.status_code != HTTPStatus.FOUND or not redirect_uri:
        return
    if not location.startswith(redirect_uri.split("?", maxsplit=1)[0]):
        return
    forget_pending_origin(request)
    answer = parse_qs(urlsplit(location).query)
    if "code" not in answer or not request.user.is_authenticated:
        return
    codes.bind(answer["code"][0], grants.session_digest(request.session.session_key))
    record(
        Type.APP_AUTHORIZED,
        request.user,
        request,
        app=client.name,
        client_id=client.pk,
        scopes=scope.split(),
    )


def _back_to_app(redirect_uri: str, params: dict[str, str]) -> HttpResponse:
    # Not HttpResponseRedirect: it refuses the custom schemes of native apps.
    response = HttpResponse(status=HTTPStatus.FOUND)
    response["Location"] = add_query_params(redirect_uri, params)
    return response


# --- RP-initiated logout ---------------------------------------------------------


@csrf_exempt  # allauth's own view checks CSRF where it asks the person
def logout(request: HttpRequest) -> HttpResponse:
    """allauth's page that asks whether to sign out here too: its form then
    sends the browser back to the app, which its form-action must allow."""
    response = oidc_views.logout(request)
    if isinstance(response, TemplateResponse):
        form = RPInitiatedLogoutForm(
            request.POST if request.method == "POST" else request.GET
        )
        if form.is_valid() and (
            uri := form.cleaned_data.get("post_logout_redirect_uri")
        ):
            allow_form_action(response, source_of(uri))
    return response


# --- token ----------------------------------------------------------------


def oauth_error(
    error: str, description: str, status: int = HTTPStatus.BAD_REQUEST
) -> JsonResponse:
    """An error of RFC 6749 section 5.2, as allauth's token endpoint answers."""
    response = JsonResponse(
        {"error": error, "error_description": description}, status=status
    )
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def post_only() -> JsonResponse:
    response = oauth_error(
        "invalid_request", "Use POST.", status=HTTPStatus.METHOD_NOT_ALLOWED
    )
    response["Allow"] = "POST"
    return response


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return post_only()
    grant_type = request.POST.get("grant_type")
    if grant_type == "authorization_code" and request.POST.get("code"):
        return _exchange_code(request, request.POST["code"])
    if grant_type == "refresh_token" and request.POST.get("refresh_token"):
        return _refresh(request, request.POST["refresh_token"])
    if grant_type == Client.GrantType.DEVICE_CODE:
        return device_grant_off(request)
    return oidc_views.token(request)


def _exchange_code(request: HttpRequest, code: str) -> HttpResponse:
    key = codes.digest(code)
    if not codes.claim(key):
        _code_reused(key)
        return oauth_error("invalid_grant", "The authorization code was already used.")
    response = oidc_views.token(request)
    if response.status_code != HTTPStatus.OK:
        codes.release(key)
        return response
    grant = grants.start(grants.issued_tokens(response), codes.session_of(key))
    if grant is None:
        return response
    codes.spent(key, grant.pk)
    if codes.poisoned(key):
        # Another exchange of this code came while this one ran.
        grants.revoke(Grant.objects.filter(pk=grant.pk), reason="code_reused")
        return oauth_error("invalid_grant", "The authorization code was already used.")
    return response


def _code_reused(key: str) -> None:
    """RFC 6749 section 4.1.2: revoke what the code was exchanged for."""
    codes.poison(key)
    logger.warning("An authorization code was presented again; revoking its tokens.")
    if (grant_id := codes.grant_of(key)) is not None:
        grants.revoke(Grant.objects.filter(pk=grant_id), reason="code_reused")


def _refresh(request: HttpRequest, refresh_token: str) -> HttpResponse:
    token_digest = get_oidc_adapter().hash_token(refresh_token)
    presented = Token.objects.filter(
        type=Token.Type.REFRESH_TOKEN, hash=token_digest
    ).first()
    if presented is None and (grant_id := codes.grant_of_rotated(token_digest)):
        # A refresh token that was already rotated away: stolen, or a client
        # that lost track (RFC 9700 section 4.14.2). Either way, end its grant.
        logger.warning("A rotated refresh token was presented again; revoking it.")
        grants.revoke(Grant.objects.filter(pk=grant_id), reason="refresh_token_reused")
    response = oidc_views.token(request)
    grant_id = grants.grant_of(presented)
    if response.status_code == HTTPStatus.OK and grant_id is not None:
        grants.carry_over(grants.issued_tokens(response), grant_id)
        codes.rotated(token_digest, grant_id)
    return response


# --- revoke ----------------------------------------------------------------


@csrf_exempt
def revoke(request: HttpRequest) -> HttpResponse:
    """RFC 7009. A client may revoke only the tokens issued to it; revoking
    a refresh token also revokes the access tokens of its grant."""
    if request.method != "POST":
        return post_only()
    if not request.POST.get("token"):
        return oidc_views.revoke(request)
    presented = Token.objects.filter(
        hash=get_oidc_adapter().hash_token(request.POST["token"]),
        type__in=grants.LIVE_TOKENS,
    ).first()
    client_id = extract_basic_auth(request.headers)[0] or request.POST.get("client_id")
    if presented is not None and presented.client_id != client_id:
        # Not this client's: answered as for any token it cannot revoke.
        answered_as_unknown = request.POST.copy()
        answered_as_unknown["token"] = "-"  # noqa: S105 (no token)
        request.POST = answered_as_unknown  # type: ignore[assignment]
        presented = None
    response = oidc_views.revoke(request)
    if response.status_code == HTTPStatus.OK and presented is not None:
        grant_id = grants.grant_of(presented)
        if presented.type == Token.Type.REFRESH_TOKEN and grant_id is not None:
            grants.revoke(Grant.objects.filter(pk=grant_id), reason="revoked_by_app")
    return response


# --- /profile/apps/ -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def apps_page(request: HttpRequest) -> HttpResponse:
    user = cast("User", request.user)
    if request.method == "POST":
        if grants.revoke_app(user, request.POST.get("client", ""), request=request):
            messages.success(request, _("The app's access was revoked."))
        return redirect("profile_apps")
    rows = (
        Grant.objects.filter(user=user, expires_at__gt=timezone.now())
        .values("client_id", "client__name")
        .annotate(since=Min("created_at"), last_used=Max("last_used_at"))
        .order_by("client__name")
    )
    display = get_oidc_adapter().scope_display
    scopes: dict[str, set[str]] = {}
    for grant in Grant.objects.filter(user=user, expires_at__gt=timezone.now()):
        scopes.setdefault(grant.client_id, set()).update(grant.get_scopes())
    apps = [
        {
            "client_id": row["client_id"],
            "name": row["client__name"],
            "since": row["since"],
            "last_used": row["last_used"],
            "shares": [
                str(display.get(s, s)) for s in sorted(scopes[row["client_id"]])
            ],
        }
        for row in rows
    ]
    return render(request, "identity/apps.html", {"apps": apps})
