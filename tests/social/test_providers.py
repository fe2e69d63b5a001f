"""Kakao, Naver, Google and a generic OpenID Connect provider, each against a
local fake answering as its documentation shows: the redirect to its sign-in
page, what the service asks of its servers, the account that results, the
buttons, the API, and a provider that fails."""

from __future__ import annotations

import json
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from mail.models import OutgoingEmail
from project.settings import readers
from tests.support import sign_in_providers as fakes
from tests.support.api import APP, BROWSER, call
from users.models import User

pytestmark = pytest.mark.django_db

ALL = ["kakao", "naver", "google", "oidc"]


def query_of(response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def signed_in_as(browser: Client) -> str | None:
    user_id = browser.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).email if user_id else None


# --- The redirect to the provider's sign-in page ---------------------------------


@pytest.mark.parametrize(
    ("provider", "authorize", "scopes", "pkce"),
    [
        (
            "kakao",
            "https://kauth.kakao.com/oauth/authorize",
            {"account_email", "profile_nickname"},
            False,
        ),
        ("naver", "https://nid.naver.com/oauth2.0/authorize", set(), False),
        (
            "google",
            "https://accounts.google.com/o/oauth2/v2/auth",
            {"openid", "email", "profile"},
            True,
        ),
    ],
)
def test_the_button_redirects_to_the_providers_sign_in_page(
    providers, provider, authorize, scopes, pkce
):
    response = fakes.start(Client(), provider)

    query = query_of(response)
    assert response["Location"].split("?")[0] == authorize
    assert query["client_id"] == fakes.ENVIRONMENT[f"{provider.upper()}_CLIENT_ID"]
    assert query["redirect_uri"] == f"http://testserver{fakes.callback_path(provider)}"
    assert query["response_type"] == "code"
    assert set(query.get("scope", "").split()) == scopes
    assert len(query["state"]) >= 16
    assert ("code_challenge" in query) is pkce


def test_the_generic_provider_redirects_to_its_discovered_endpoint(providers):
    response = fakes.start(Client(), "oidc")

    query = query_of(response)
    assert response["Location"].startswith(f"{providers.oidc_issuer}/authorize?")
    assert set(query["scope"].split()) == {"openid", "email", "profile"}
    assert query["code_challenge_method"] == "S256"
    assert (
        query["redirect_uri"] == "http://testserver/accounts/oidc/oidc/login/callback/"
    )


def test_each_sign_in_has_its_own_state(providers):
    browser = Client()

    first = query_of(fakes.start(browser, "kakao"))["state"]
    second = query_of(fakes.start(browser, "kakao"))["state"]

    assert first != second


def test_a_callback_with_a_state_of_another_browser_signs_no_one_in(providers):
    redirect = fakes.start(Client(), "kakao")

    response = fakes.come_back(Client(), "kakao", redirect)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "next_url", ["https://evil.example.com/", "//evil.example.com"]
)
def test_next_never_leads_off_the_site(providers, trusted, next_url):
    trusted("google")
    browser = Client()

    response = fakes.sign_in_with(browser, "google", next=next_url)

    assert response.status_code == HTTPStatus.FOUND
    assert urlsplit(response["Location"]).netloc in ("", "testserver")


# --- What the service sends, and the account that results ----------------------


@pytest.mark.parametrize("provider", ALL)
def test_the_code_is_exchanged_with_the_client_secret(providers, provider):
    fakes.sign_in_with(Client(), provider)

    (form,) = [
        form
        for path, form in (
            (p, f) for _m, p, f in providers.calls.seen if p.endswith("token")
        )
    ]
    assert form["code"] == ["code-from-provider"]
    assert form["client_secret"] == [
        fakes.ENVIRONMENT[
            "OIDC_RP_CLIENT_SECRET"
            if provider == "oidc"
            else f"{provider.upper()}_CLIENT_SECRET"
        ]
    ]


@pytest.mark.parametrize("provider", ["kakao", "google", "oidc"])
def test_a_trusted_provider_with_a_verified_address_signs_a_new_person_in(
    providers, trusted, provider
):
    trusted(provider)
    providers.person.name = "홍길동"
    browser = Client()

    response = fakes.sign_in_with(browser, provider)

    assert response["Location"] == "/"
    assert signed_in_as(browser) == "someone@example.com"
    user = User.objects.get(email="someone@example.com")
    assert user.name == "홍길동"
    assert not user.has_usable_password()
    assert list(
        EmailAddress.objects.filter(user=user).values_list("verified", flat=True)
    ) == [True]
    assert SocialAccount.objects.get(user=user).uid == "4242"


@pytest.mark.parametrize("provider", ["kakao", "google", "oidc"])
def test_an_untrusted_provider_s_address_is_stored_unverified(providers, provider):
    browser = Client()

    response = fakes.sign_in_with(browser, provider)

    assert response["Location"] == "/accounts/confirm-email/"
    assert signed_in_as(browser) is None
    address = EmailAddress.objects.get(email="someone@example.com")
    assert not address.verified
    assert OutgoingEmail.objects.filter(
        to="someone@example.com", kind="verification"
    ).exists()


@pytest.mark.parametrize("provider", ["kakao", "google", "oidc"])
def test_an_address_the_provider_does_not_assert_is_never_stored_verified(
    providers, trusted, provider
):
    trusted(provider)
    providers.person.email_verified = False

    fakes.sign_in_with(Client(), provider)

    assert not EmailAddress.objects.get(email="someone@example.com").verified


def test_naver_asserts_nothing_so_its_address_is_never_verified(providers, trusted):
    trusted("naver")

    fakes.sign_in_with(Client(), "naver")

    assert not EmailAddress.objects.get(email="someone@example.com").verified


def test_oidc_rp_trust_email_trusts_the_generic_provider(providers, settings):
    settings.OIDC_RP_TRUST_EMAIL = True
    browser = Client()

    fakes.sign_in_with(browser, "oidc")

    assert signed_in_as(browser) == "someone@example.com"


def test_a_string_false_is_not_a_verified_address(providers, settings, monkeypatch):
    settings.OIDC_RP_TRUST_EMAIL = True
    original = providers.profile_answer

    def says_false_as_a_string(provider: str) -> dict:
        return {**original(provider), "email_verified": "false"}

    monkeypatch.setattr(providers, "profile_answer", says_false_as_a_string)

    fakes.sign_in_with(Client(), "oidc")

    assert not EmailAddress.objects.get(email="someone@example.com").verified


def test_kakao_without_the_address_asks_for_one(providers):
    providers.person.email = None

    response = fakes.sign_in_with(Client(), "kakao")

    assert response["Location"] == "/accounts/3rdparty/signup/"
    assert not User.objects.exists()


def test_the_page_asking_for_an_address_names_the_service_by_its_name(
    providers, settings
):
    settings.SITE_NAME = "Acme Accounts"
    providers.person.email = None
    browser = Client()

    page = browser.get(fakes.sign_in_with(browser, "kakao")["Location"])

    assert "to login to\nAcme Accounts." in page.content.decode()
    assert "testserver" not in page.content.decode()


def test_an_address_is_stored_in_its_canonical_spelling(providers, trusted):
    trusted("google")
    providers.person.email = "Someone@EXAMPLE.com"

    fakes.sign_in_with(Client(), "google")

    assert EmailAddress.objects.get().email == "someone@example.com"


# --- Buttons and the API ------------------------------------------------------------


def test_the_sign_in_and_sign_up_pages_have_a_button_per_provider(providers):
    for page in ("/accounts/login/", "/accounts/signup/"):
        html = Client().get(page).content.decode()
        assert "Continue with Kakao" in html
        assert "Continue with Naver" in html
        assert "Continue with Google" in html
        assert "Continue with Acme ID" in html


def test_the_buttons_speak_korean(providers):
    html = (
        Client()
        .get("/accounts/login/", headers={"Accept-Language": "ko"})
        .content.decode()
    )

    assert "카카오로 시작하기" in html
    assert "네이버로 시작하기" in html
    assert "Google로 시작하기" in html
    assert "Acme ID 계정으로 시작하기" in html


def test_only_configured_providers_have_buttons(providers, settings, monkeypatch):
    monkeypatch.delenv("NAVER_CLIENT_ID")
    monkeypatch.delenv("NAVER_CLIENT_SECRET")
    settings.SOCIALACCOUNT_PROVIDERS = readers.social_providers_from_env()

    html = Client().get("/accounts/login/").content.decode()

    assert "Continue with Kakao" in html
    assert "Naver" not in html


def test_no_provider_no_buttons(settings, client):
    settings.SOCIALACCOUNT_PROVIDERS = {}

    html = client.get("/accounts/login/").content.decode()

    assert "Continue with" not in html


def test_an_unconfigured_provider_s_urls_answer_404(settings, client):
    settings.SOCIALACCOUNT_PROVIDERS = {}

    for path in (
        "/accounts/kakao/login/",
        "/accounts/kakao/login/callback/?code=x&state=y",
        "/accounts/oidc/oidc/login/",
    ):
        assert client.get(path).status_code == HTTPStatus.NOT_FOUND, path


def test_the_sign_in_page_may_send_the_browser_to_each_provider(providers):
    policy = Client().get("/accounts/login/")["Content-Security-Policy"]

    (form_action,) = [d for d in policy.split(";") if "form-action" in d]
    assert set(form_action.split()[1:]) == {
        "'self'",
        "https://accounts.google.com",
        "https://kauth.kakao.com",
        "https://nid.naver.com",
        providers.url,
    }


def test_other_pages_do_not(providers):
    policy = Client().get("/")["Content-Security-Policy"]

    assert "form-action 'self';" in policy


def test_the_browser_api_lists_every_provider_for_redirects(providers):
    _, body = call(Client(), "get", f"{BROWSER}/config")

    listed = {p["id"]: p for p in body["data"]["socialaccount"]["providers"]}
    assert set(listed) == set(ALL)
    assert listed["kakao"]["flows"] == ["provider_redirect"]


def test_the_app_api_lists_only_providers_that_take_a_token(providers):
    _, body = call(Client(), "get", f"{APP}/config")

    listed = {p["id"] for p in body["data"]["socialaccount"]["providers"]}
    assert listed == {"google", "oidc"}


def test_the_browser_api_redirects_to_the_provider(providers):
    client = Client()
    client.get(f"{BROWSER}/auth/session")

    response = client.post(
        f"{BROWSER}/auth/provider/redirect",
        {"provider": "kakao", "callback_url": "/after", "process": "login"},
    )

    assert response["Location"].startswith("https://kauth.kakao.com/oauth/authorize?")


def test_the_app_api_signs_in_with_a_verified_id_token_of_a_trusted_provider(
    providers, settings
):
    settings.OIDC_RP_TRUST_EMAIL = True
    token = providers.id_token(providers.oidc_issuer, "acme-client")

    status, body = call(
        Client(),
        "post",
        f"{APP}/auth/provider/token",
        {
            "provider": "oidc",
            "process": "login",
            "token": {"client_id": "acme-client", "id_token": token},
        },
    )

    assert status == HTTPStatus.OK, body
    assert body["data"]["user"]["email"] == "someone@example.com"


def test_the_app_api_refuses_a_forged_id_token(providers):
    forged = providers.id_token("https://evil.example.com", "acme-client")

    status, body = call(
        Client(),
        "post",
        f"{APP}/auth/provider/token",
        {
            "provider": "oidc",
            "process": "login",
            "token": {"client_id": "acme-client", "id_token": forged},
        },
    )

    assert status == HTTPStatus.BAD_REQUEST
    assert body["errors"][0]["code"] == "invalid_token"
    assert not User.objects.exists()


# --- A provider that fails ------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "failure"),
    [
        *(
            (provider, failure)
            for provider in ALL
            for failure in ("down", "token-garbage")
        ),
        # Google's answer is its ID token; the others read a profile.
        *(
            (provider, failure)
            for provider in ("kakao", "naver", "oidc")
            for failure in ("profile-garbage", "profile-empty")
            if (provider, failure) != ("oidc", "profile-empty")
        ),
    ],
)
def test_a_failing_provider_gets_a_readable_page_and_signs_no_one_in(
    providers, provider, failure
):
    providers.failure = failure
    browser = Client()

    response = fakes.sign_in_with(browser, provider)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    html = response.content.decode()
    assert "did not answer as expected" in html
    assert 'href="/accounts/login/"' in html
    assert signed_in_as(browser) is None
    assert not User.objects.exists()


def test_a_slow_provider_times_out_quickly(providers, settings):
    settings.SOCIALACCOUNT_REQUESTS_TIMEOUT = 1
    providers.failure = "slow"
    providers.slow_seconds = 2

    response = fakes.sign_in_with(Client(), "kakao")

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_a_generic_provider_without_discovery_gets_a_readable_page(
    providers, settings, monkeypatch
):
    monkeypatch.setenv("OIDC_RP_ISSUER", "http://127.0.0.1:9")
    settings.SOCIALACCOUNT_PROVIDERS = readers.social_providers_from_env()

    response = fakes.start(Client(), "oidc")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "did not answer as expected" in response.content.decode()


# --- Outgoing HTTPS -------------------------------------------------------------------


def test_calls_to_providers_check_certificates_with_the_system_store(monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)

    session = get_adapter().get_requests_session()

    assert session.verify in ("/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs")


def test_an_operator_s_ca_bundle_is_used_instead(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))

    session = get_adapter().get_requests_session()

    assert session.verify == str(bundle)


# --- Configuration --------------------------------------------------------------------


def test_a_provider_needs_both_its_id_and_secret(monkeypatch):
    monkeypatch.setenv("KAKAO_CLIENT_ID", "kakao-client")
    monkeypatch.delenv("KAKAO_CLIENT_SECRET", raising=False)

    with pytest.raises(readers.SettingError, match="KAKAO_CLIENT_SECRET"):
        readers.social_providers_from_env()


def test_the_generic_provider_needs_an_issuer_url(monkeypatch):
    monkeypatch.setenv("OIDC_RP_ISSUER", "login.example.com")
    monkeypatch.setenv("OIDC_RP_CLIENT_ID", "acme")

    with pytest.raises(readers.SettingError, match="OIDC_RP_ISSUER"):
        readers.social_providers_from_env()


def test_the_generic_provider_is_registered_as_oidc(monkeypatch):
    monkeypatch.setenv("OIDC_RP_ISSUER", "https://login.example.com/")
    monkeypatch.setenv("OIDC_RP_CLIENT_ID", "acme")
    monkeypatch.setenv("OIDC_RP_NAME", "Acme ID")

    (app,) = readers.social_providers_from_env()["openid_connect"]["APPS"]

    assert app["provider_id"] == "oidc"
    assert app["name"] == "Acme ID"
    assert app["settings"]["server_url"] == "https://login.example.com"
    assert json.dumps(app)  # plain data, as settings are


# --- The admin ----------------------------------------------------------------


def test_staff_mark_a_provider_trusted_for_email_in_the_admin(staff_client, providers):
    staff_client.post(
        "/admin/social/providerpolicy/add/",
        {"provider": "google", "trusted_for_email": "on"},
    )
    browser = Client()

    fakes.sign_in_with(browser, "google")

    assert signed_in_as(browser) == "someone@example.com"


def test_no_admin_page_shows_a_providers_secret_or_a_stored_token(staff_client):
    for path in (
        "/admin/socialaccount/socialapp/",
        "/admin/socialaccount/socialtoken/",
    ):
        assert staff_client.get(path).status_code == HTTPStatus.NOT_FOUND
