"""The OpenID Connect provider as an app meets it: discovery, the code flow
with PKCE, the claims, refresh rotation, and every refusal RFC 6749 and OIDC
Core name, each as JSON or as a redirect with `error=`, never a 500."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlsplit

import jwt
import pytest
from allauth.account.models import EmailAddress
from allauth.idp.oidc.models import Client as OIDCClient
from allauth.idp.oidc.models import Token
from django.core.cache import cache
from django.test import Client

from identity.models import Grant
from tests.support import oidc
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    return oidc.register()


@pytest.fixture
def public_app():
    return oidc.register("Acme Mobile", public=True)


@pytest.fixture
def browser(user) -> Client:
    """The person's browser, signed in."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def server() -> Client:
    """The app's server, calling the token endpoint."""
    return Client()


def id_token_claims(server: Client, tokens: dict, audience: str) -> dict:
    jwks = jwt.PyJWKSet.from_dict(server.get(oidc.JWKS).json())
    kid = jwt.get_unverified_header(tokens["id_token"])["kid"]
    issuer = server.get(oidc.DISCOVERY).json()["issuer"]
    return jwt.decode(
        tokens["id_token"],
        jwks[kid].key,
        algorithms=["RS256"],
        audience=audience,
        issuer=issuer,
    )


# --- Discovery --------------------------------------------------------------


def test_discovery_names_the_configured_public_url_as_issuer(settings, server):
    settings.PUBLIC_URL = "https://accounts.example.com"

    config = server.get(oidc.DISCOVERY).json()

    assert config["issuer"] == "https://accounts.example.com"
    assert config["token_endpoint"] == (
        "https://accounts.example.com/identity/o/api/token"
    )
    assert config["code_challenge_methods_supported"] == ["S256"]


def test_without_a_public_url_the_issuer_drops_the_port_a_client_sent(server):
    config = server.get(oidc.DISCOVERY, headers={"Host": "testserver:8443"}).json()

    assert config["issuer"] == "http://testserver"


def test_the_jwks_holds_the_signing_key(server):
    keys = server.get(oidc.JWKS).json()["keys"]

    assert [key["kty"] for key in keys] == ["RSA"]
    assert "d" not in keys[0]  # the public half only


# --- The code flow and its claims -------------------------------------------


def test_a_confidential_app_gets_an_id_token_signed_by_the_jwks(
    browser, server, app, user
):
    tokens = oidc.signed_in_to_app(browser, server, app)

    claims = id_token_claims(server, tokens, app.client_id)

    assert claims["sub"] == str(user.public_id)
    assert claims["nonce"] == "nonce-456"
    assert claims["email"] == user.email
    assert claims["email_verified"] is True


def test_the_subject_is_neither_the_database_id_nor_the_address(
    browser, server, app, user
):
    tokens = oidc.signed_in_to_app(browser, server, app)

    sub = oidc.userinfo(server, tokens["access_token"]).json()["sub"]

    assert sub not in (str(user.pk), user.email)
    assert sub == str(user.public_id)


def test_the_subject_stays_when_the_address_changes(browser, server, app, user):
    first = oidc.userinfo(
        server, oidc.signed_in_to_app(browser, server, app)["access_token"]
    )
    EmailAddress.objects.filter(user=user).update(email="moved@example.com")
    user.email = "moved@example.com"
    user.save()

    second = oidc.userinfo(
        server, oidc.signed_in_to_app(browser, server, app)["access_token"]
    )

    assert first.json()["sub"] == second.json()["sub"]
    assert second.json()["email"] == "moved@example.com"


def test_userinfo_gives_the_name_and_language_under_profile(browser, server, app, user):
    user.name = "Kim Minji"
    user.language = "ko"
    user.save()

    tokens = oidc.signed_in_to_app(browser, server, app)

    assert oidc.userinfo(server, tokens["access_token"]).json() == {
        "sub": str(user.public_id),
        "email": user.email,
        "email_verified": True,
        "name": "Kim Minji",
        "locale": "ko",
    }


def test_without_a_name_there_is_no_name_claim_not_the_address(
    browser, server, app, user
):
    user.name = ""
    user.save()

    tokens = oidc.signed_in_to_app(browser, server, app)

    assert "name" not in oidc.userinfo(server, tokens["access_token"]).json()


def test_an_unverified_address_is_never_claimed_verified(server, app):
    person = UserFactory.create(verified=False)
    browser = Client()
    browser.force_login(person)

    tokens = oidc.signed_in_to_app(browser, server, app)

    info = oidc.userinfo(server, tokens["access_token"]).json()
    assert info["email_verified"] is False
    assert id_token_claims(server, tokens, app.client_id)["email_verified"] is False


def test_only_the_scopes_granted_are_answered(browser, server, app, user):
    verifier, challenge = oidc.pkce()
    code = oidc.authorize(browser, app, challenge, scope="openid")

    tokens = oidc.exchange(server, app, code, verifier).json()

    assert oidc.userinfo(server, tokens["access_token"]).json() == {
        "sub": str(user.public_id)
    }


def test_a_public_app_signs_in_with_pkce_and_no_secret(browser, server, public_app):
    tokens = oidc.signed_in_to_app(browser, server, public_app)

    assert oidc.userinfo(server, tokens["access_token"]).status_code == HTTPStatus.OK


# --- Refresh -----------------------------------------------------------------


def test_a_refresh_rotates_the_refresh_token(browser, server, app):
    tokens = oidc.signed_in_to_app(browser, server, app)

    renewed = oidc.refresh(server, app, tokens["refresh_token"])

    assert renewed.status_code == HTTPStatus.OK
    assert renewed.json()["refresh_token"] != tokens["refresh_token"]
    assert oidc.userinfo(server, renewed.json()["access_token"]).status_code == 200


def test_a_replayed_refresh_token_is_invalid_grant_and_ends_the_grant(
    browser, server, app, user
):
    tokens = oidc.signed_in_to_app(browser, server, app)
    renewed = oidc.refresh(server, app, tokens["refresh_token"]).json()

    replay = oidc.refresh(server, app, tokens["refresh_token"])

    assert replay.status_code == HTTPStatus.BAD_REQUEST
    assert replay.json()["error"] == "invalid_grant"
    # Whoever holds the rotated token, the thief or the app, is out.
    assert oidc.refresh(server, app, renewed["refresh_token"]).status_code == 400
    assert oidc.userinfo(server, renewed["access_token"]).status_code == 401
    assert not Grant.objects.filter(user=user).exists()


def test_tokens_of_one_grant_carry_it_across_refreshes(browser, server, app, user):
    tokens = oidc.signed_in_to_app(browser, server, app)
    oidc.refresh(server, app, tokens["refresh_token"])

    grant = Grant.objects.get(user=user)
    live = Token.objects.filter(user=user, type__in=["at", "rt"])

    assert {t.data["grant"] for t in live} == {grant.pk}


# --- Codes ---------------------------------------------------------------------


def test_a_reused_code_is_refused_and_revokes_what_it_gave(browser, server, app):
    verifier, challenge = oidc.pkce()
    code = oidc.authorize(browser, app, challenge)
    tokens = oidc.exchange(server, app, code, verifier).json()

    again = oidc.exchange(server, app, code, verifier)

    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert again.json()["error"] == "invalid_grant"
    assert oidc.userinfo(server, tokens["access_token"]).status_code == 401
    assert oidc.refresh(server, app, tokens["refresh_token"]).status_code == 400


def test_a_reused_code_revokes_only_its_own_grant(browser, server, app):
    other = oidc.signed_in_to_app(browser, server, app)
    verifier, challenge = oidc.pkce()
    code = oidc.authorize(browser, app, challenge)
    oidc.exchange(server, app, code, verifier)

    oidc.exchange(server, app, code, verifier)

    assert oidc.userinfo(server, other["access_token"]).status_code == HTTPStatus.OK


def test_a_wrong_verifier_is_invalid_grant_and_spends_nothing(browser, server, app):
    verifier, challenge = oidc.pkce()
    code = oidc.authorize(browser, app, challenge)

    wrong = oidc.exchange(server, app, code, "not-the-verifier-" * 3)
    right = oidc.exchange(server, app, code, verifier)

    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert wrong.json()["error"] == "invalid_grant"
    assert right.status_code == HTTPStatus.OK


def test_a_missing_verifier_is_invalid_request(browser, server, app):
    _verifier, challenge = oidc.pkce()
    code = oidc.authorize(browser, app, challenge)

    response = oidc.exchange(server, app, code)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"


def test_an_expired_code_is_invalid_grant(browser, server, app):
    verifier, challenge = oidc.pkce()
    code = oidc.authorize(browser, app, challenge)
    # allauth keeps a code in the cache for 60 seconds; time passes.
    cache.delete(f"allauth.idp.oidc.authorization_code[{app.client_id}:{code}]")

    response = oidc.exchange(server, app, code, verifier)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"


def test_a_code_for_another_redirect_uri_is_refused(browser, server, app):
    verifier, challenge = oidc.pkce()
    code = oidc.authorize(browser, app, challenge)

    response = oidc.exchange(
        server,
        app._replace(redirect_uri="https://app.example.com/other"),
        code,
        verifier,
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] in ("invalid_request", "invalid_grant")


def test_a_wrong_client_secret_is_invalid_client(browser, server, app):
    verifier, challenge = oidc.pkce()
    code = oidc.authorize(browser, app, challenge)

    response = oidc.exchange(server, app._replace(secret="guess"), code, verifier)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"


def test_the_token_endpoint_answers_other_methods_in_json(server):
    response = server.get(oidc.TOKEN)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"grant_type": "authorization_code"},
        {"grant_type": "authorization_code", "code": "made-up"},
        {"grant_type": "refresh_token", "refresh_token": "made-up"},
        {"grant_type": "client_credentials"},
        {"grant_type": "no-such-grant"},
    ],
    ids=[
        "empty",
        "no-code",
        "made-up-code",
        "made-up-refresh",
        "credentials",
        "unknown",
    ],
)
def test_bad_token_requests_get_an_oauth_error_never_a_500(server, app, data):
    response = oidc.token_request(server, app, **data)

    assert response.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED)
    assert response.json()["error"] in (
        "invalid_request",
        "invalid_grant",
        "unsupported_grant_type",
        "unauthorized_client",
        "invalid_client",
    )


# --- The authorization request ------------------------------------------------


def test_an_unknown_app_gets_our_error_page_and_no_redirect(browser, app):
    response = browser.get(oidc.authorize_url(app._replace(client_id="no-such-app")))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
    assert "not registered" in response.content.decode()


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example.com/callback",
        "https://app.example.com/callback/../../evil",
        "https://app.example.com.evil.example/callback",
        "https://app.example.com:8443/callback",
        "http://app.example.com/callback",
        "",
    ],
)
def test_an_unregistered_redirect_uri_gets_our_error_page_and_no_redirect(
    browser, app, redirect_uri
):
    response = browser.get(oidc.authorize_url(app._replace(redirect_uri=redirect_uri)))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
    assert "did not register" in response.content.decode()


def test_state_is_handed_back_untouched_and_never_followed(browser, server, app):
    _verifier, challenge = oidc.pkce()

    response = browser.get(
        oidc.authorize_url(app, challenge, state="https://evil.example.com/")
    )
    response = oidc.consent(browser, response)

    assert urlsplit(response["Location"]).netloc == "app.example.com"
    assert oidc.answer_of(response)["state"] == "https://evil.example.com/"


@pytest.mark.parametrize("method", ["plain", None], ids=["plain", "no-method"])
def test_pkce_with_plain_is_refused_with_invalid_request(browser, public_app, method):
    params = {"code_challenge": "a" * 43}
    if method:
        params["code_challenge_method"] = method

    response = browser.get(oidc.authorize_url(public_app, **params))

    answer = oidc.answer_of(response)
    assert answer["error"] == "invalid_request"
    assert answer["state"] == "state-123"


def test_a_public_app_without_pkce_is_refused(browser, public_app):
    response = browser.get(oidc.authorize_url(public_app))

    assert oidc.answer_of(response)["error"] == "invalid_request"


def test_a_scope_the_app_may_not_ask_for_is_invalid_scope(browser, app):
    response = browser.get(oidc.authorize_url(app, scope="openid admin"))

    assert oidc.answer_of(response)["error"] == "invalid_scope"


def test_an_implicit_flow_request_is_refused(browser, app):
    response = browser.get(oidc.authorize_url(app, response_type="token"))

    assert oidc.answer_of(response)["error"] == "unauthorized_client"


def test_a_duplicated_parameter_gets_our_error_page(browser, app):
    response = browser.get(oidc.authorize_url(app) + "&state=twice")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response


def test_prompt_none_without_a_session_is_login_required(app):
    response = Client().get(oidc.authorize_url(app, prompt="none"))

    assert oidc.answer_of(response)["error"] == "login_required"


def test_a_person_who_cancels_sends_access_denied(browser, app):
    page = browser.get(oidc.authorize_url(app))

    response = oidc.consent(browser, page, action="cancel")

    assert oidc.answer_of(response) == {"error": "access_denied", "state": "state-123"}


def test_the_consent_form_cannot_be_forged(browser, app):
    response = browser.post(
        oidc.AUTHORIZE, {"request": "forged", "scopes": ["openid"], "action": "grant"}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_an_unsigned_in_visitor_is_sent_to_sign_in_first(app):
    response = Client().get(oidc.authorize_url(app))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(
        "/accounts/login/?next=/identity/o/authorize"
    )


# --- Revoke --------------------------------------------------------------------


def test_revoking_a_refresh_token_ends_its_access_tokens_too(browser, server, app):
    tokens = oidc.signed_in_to_app(browser, server, app)

    response = server.post(
        oidc.REVOKE,
        {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        headers=oidc.basic(app),
    )

    assert response.status_code == HTTPStatus.OK
    assert oidc.userinfo(server, tokens["access_token"]).status_code == 401


def test_an_app_cannot_revoke_another_apps_tokens(browser, server, app):
    other = oidc.register("Other App", redirect_uri="https://other.example.com/cb")
    tokens = oidc.signed_in_to_app(browser, server, app)

    response = server.post(
        oidc.REVOKE, {"token": tokens["access_token"]}, headers=oidc.basic(other)
    )

    assert response.status_code == HTTPStatus.OK  # RFC 7009: nothing to say
    assert oidc.userinfo(server, tokens["access_token"]).status_code == HTTPStatus.OK


def test_revoking_needs_the_apps_credentials(browser, server, app):
    tokens = oidc.signed_in_to_app(browser, server, app)

    response = server.post(oidc.REVOKE, {"token": tokens["access_token"]})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert oidc.userinfo(server, tokens["access_token"]).status_code == HTTPStatus.OK


# --- The contract ---------------------------------------------------------------


def test_the_providers_json_endpoints_are_in_the_served_contract(server):
    paths = server.get("/_allauth/openapi.json").json()["paths"]

    for path in (
        oidc.DISCOVERY,
        oidc.JWKS,
        oidc.TOKEN,
        oidc.USERINFO,
        oidc.REVOKE,
    ):
        assert path in paths, path


def test_discovery_offers_no_device_authorization(server):
    config = server.get(oidc.DISCOVERY).json()

    assert "device_authorization_endpoint" not in config
    assert "urn:ietf:params:oauth:grant-type:device_code" not in config.get(
        "grant_types_supported", []
    )
    assert "authorization_code" in config["grant_types_supported"]


def test_the_device_flow_is_off_even_for_an_app_allowed_it(server):
    """Off at each of its steps, whatever an app's grant types say:
    allauth's approval form has no CSRF check, and its tokens would
    outlive the browser session that approved them."""
    app = oidc.register("Acme TV", public=True)
    row = OIDCClient.objects.get(id=app.client_id)
    row.set_grant_types([OIDCClient.GrantType.DEVICE_CODE])
    row.save()

    code = server.post(oidc.DEVICE_CODE, {"client_id": app.client_id})
    tokens = server.post(
        oidc.TOKEN,
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": "anything",
            "client_id": app.client_id,
        },
    )
    page = Client().get("/identity/o/device?code=ABCD-EFGH")

    for response in (code, tokens):
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["error"] == "unsupported_grant_type"
    assert page.status_code == HTTPStatus.NOT_FOUND


def test_the_discovery_document_answers_other_methods_not_allowed(server):
    response = server.post(oidc.DISCOVERY)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
