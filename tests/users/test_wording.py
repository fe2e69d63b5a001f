"""Our words, in every page and every email: in Korean, none of the terms
docs/glossary-ko.md bans and no English left; in either language, one
primary button per form.

Every page of the service is listed here (a new page fails
`test_every_page_is_listed` until it is), each with what it takes to see
it: a visitor, a signed-in person, one with second factors, staff. The
sign-in providers are configured (their local fakes answer), so their
buttons and pages are read too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from mail.models import OutgoingEmail
from ops.unavailable import server_error
from tests.support import oidc
from tests.support import sign_in_providers as fakes
from tests.support.emails import every_email, uncovered
from tests.support.factories import (
    PASSWORD,
    OutgoingEmailFactory,
    UserFactory,
    give_recovery_codes,
    give_totp,
)
from tests.support.flows import link_in, path_of, prove_mailbox
from tests.support.korean import (
    banned_in,
    english_left,
    translated_english,
    visible_text,
)
from users.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("providers")]

KOREAN = {"Accept-Language": "ko"}


# --- Who sees a page ----------------------------------------------------------


def visitor(language: str) -> Client:
    return Client(headers={"Accept-Language": language})


def member(language: str, *, factors: bool = False, **fields) -> Client:
    """Signed in, with a fresh reauthentication for the sensitive pages."""
    user = UserFactory.create(language=language, **fields)
    if factors:
        give_totp(user)
        give_recovery_codes(user)
    client = visitor(language)
    client.force_login(user)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    return client


def staff(language: str) -> Client:
    boss = User.objects.create_superuser(f"boss-{language}@example.com", PASSWORD)
    give_totp(boss)
    client = visitor(language)
    client.force_login(boss)
    return client


Page = Callable[[str], tuple[Client, str]]
ADMIN_MODELS = [model for model in apps.get_models() if admin.site.is_registered(model)]


def as_visitor(path: str) -> Page:
    return lambda language: (visitor(language), path)


def as_member(path: str, **options) -> Page:
    return lambda language: (member(language, **options), path)


def as_staff(path: str) -> Page:
    return lambda language: (staff(language), path)


def confirmation_page(language: str) -> tuple[Client, str]:
    user = UserFactory.create(language=language, verified=False)
    key = EmailConfirmationHMAC(EmailAddress.objects.get(user=user)).key
    return visitor(language), reverse("account_confirm_email", args=[key])


def added_address_confirmation_page(language: str) -> tuple[Client, str]:
    user = UserFactory.create(language=language)
    added = EmailAddress.objects.create(
        user=user, email=f"second-{language}@example.com"
    )
    key = EmailConfirmationHMAC(added).key
    return visitor(language), reverse("account_confirm_email", args=[key])


def reset_form(language: str) -> tuple[Client, str]:
    user = UserFactory.create(language=language)
    client = visitor(language)
    client.post("/accounts/password/reset/", {"email": user.email})
    row = OutgoingEmail.objects.get(to=user.email)
    link = path_of(link_in(row.body_text, "/password/reset/key/"))
    return client, client.get(link)["Location"]


def login_code_form(language: str) -> tuple[Client, str]:
    user = UserFactory.create(language=language)
    client = visitor(language)
    client.post("/accounts/login/code/", {"email": user.email})
    return client, "/accounts/login/code/confirm/"


def second_step_of_login(language: str) -> tuple[Client, str]:
    user = UserFactory.create(language=language)
    give_totp(user)
    client = visitor(language)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    return client, "/accounts/2fa/authenticate/"


def without_password(language: str) -> tuple[Client, str]:
    user = UserFactory.create(language=language)
    user.set_unusable_password()
    user.save()
    client = visitor(language)
    client.force_login(user)
    # With no password and no factor, the mailbox is proven first.
    prove_mailbox(client, user.email)
    return client, "/accounts/password/set/"


def reauthenticating_by_code(language: str) -> tuple[Client, str]:
    user = UserFactory.create(language=language)
    user.set_unusable_password()
    user.save()
    client = visitor(language)
    client.force_login(user)
    client.post("/accounts/reauthenticate/code/", {"send": "1"})
    return client, "/accounts/reauthenticate/code/"


def pending_change_of_address(language: str) -> tuple[Client, str]:
    client = member(language)
    user = User.objects.get(pk=client.session["_auth_user_id"])
    EmailAddress.objects.create(user=user, email=f"new-{language}@example.com")
    return client, "/accounts/email/"


def outbox_row(language: str) -> tuple[Client, str]:
    row = OutgoingEmailFactory.create(status="sent", body_text="", body_html="")
    return staff(language), reverse("admin:mail_outgoingemail_change", args=[row.pk])


def user_change_page(language: str) -> tuple[Client, str]:
    person = UserFactory.create()
    return staff(language), reverse("admin:users_user_change", args=[person.pk])


# --- Apps signing in through the service (identity/) ----------------------------


def consent_page(language: str) -> tuple[Client, str]:
    app = oidc.register("Acme Notes")
    _verifier, challenge = oidc.pkce()
    return member(language), oidc.authorize_url(app, challenge)


def apps_with_one(language: str) -> tuple[Client, str]:
    client = member(language)
    oidc.signed_in_to_app(client, Client(), oidc.register("Acme Notes"))
    return client, "/profile/apps/"


# --- Sign-in with other providers (social/) ------------------------------------


def one_connected(language: str) -> tuple[Client, str]:
    client = member(language)
    fakes.running().person.email = f"at-naver-{language}@example.com"
    fakes.sign_in_with(client, "naver", process="connect")
    return client, "/accounts/3rdparty/"


def provider_without_an_address(language: str) -> tuple[Client, str]:
    """Kakao shared no address: the person is asked for one."""
    fakes.running().person.email = None
    client = visitor(language)
    response = fakes.sign_in_with(client, "kakao")
    return client, response["Location"]


def approval_page(language: str) -> tuple[Client, str]:
    owner = UserFactory.create(language=language)
    fakes.trust("google")
    fakes.running().person.email = owner.email
    fakes.sign_in_with(visitor(language), "google")
    row = OutgoingEmail.objects.get(to=owner.email)
    return visitor(language), path_of(link_in(row.body_text, "/approve/"))


PAGES: dict[str, Page] = {
    "home": as_visitor("/"),
    "home signed in": as_member("/"),
    "account_login": as_visitor("/accounts/login/"),
    "account_signup": as_visitor("/accounts/signup/"),
    "account_email_verification_sent": as_visitor("/accounts/confirm-email/"),
    "account_confirm_email": confirmation_page,
    "account_confirm_email (added address)": added_address_confirmation_page,
    "account_reset_password": as_visitor("/accounts/password/reset/"),
    "account_reset_password_done": as_visitor("/accounts/password/reset/done/"),
    "account_reset_password_from_key": reset_form,
    "account_reset_password_from_key_done": as_visitor(
        "/accounts/password/reset/key/done/"
    ),
    "account_request_login_code": as_visitor("/accounts/login/code/"),
    "account_confirm_login_code": login_code_form,
    "account_inactive": as_visitor("/accounts/inactive/"),
    "account_logout": as_member("/accounts/logout/"),
    "account_reauthenticate": as_member("/accounts/reauthenticate/"),
    "account_email": as_member("/accounts/email/"),
    "account_email (a change pending)": pending_change_of_address,
    "account_change_password": as_member("/accounts/password/change/"),
    "account_set_password": without_password,
    "reauthenticate_by_code": reauthenticating_by_code,
    "profile": as_member("/profile/"),
    "profile_delete": as_member("/profile/delete/"),
    "profile_activity": as_member("/profile/activity/"),
    "usersessions_list": as_member("/accounts/sessions/"),
    "mfa_index": as_member("/accounts/2fa/", factors=True),
    "mfa_index (no factor yet)": as_member("/accounts/2fa/"),
    "mfa_authenticate": second_step_of_login,
    "mfa_reauthenticate": as_member("/accounts/2fa/reauthenticate/", factors=True),
    "mfa_activate_totp": as_member("/accounts/2fa/totp/activate/"),
    "mfa_deactivate_totp": as_member("/accounts/2fa/totp/deactivate/", factors=True),
    "mfa_view_recovery_codes": as_member("/accounts/2fa/recovery-codes/", factors=True),
    "mfa_generate_recovery_codes": as_member(
        "/accounts/2fa/recovery-codes/generate/", factors=True
    ),
    "mfa_list_webauthn": as_member("/accounts/2fa/webauthn/", factors=True),
    "mfa_add_webauthn": as_member("/accounts/2fa/webauthn/add/", factors=True),
    "idp:oidc:authorization": consent_page,
    "idp:oidc:logout": as_member("/identity/o/logout"),
    "profile_apps": as_member("/profile/apps/"),
    "profile_apps (an app signed in)": apps_with_one,
    "kakao_login": as_visitor("/accounts/kakao/login/"),
    "naver_login": as_visitor("/accounts/naver/login/"),
    "google_login": as_visitor("/accounts/google/login/"),
    "openid_connect_login": as_visitor("/accounts/oidc/oidc/login/"),
    "socialaccount_connections": as_member("/accounts/3rdparty/"),
    "socialaccount_connections (one connected)": one_connected,
    "socialaccount_signup": provider_without_an_address,
    "socialaccount_login_cancelled": as_visitor("/accounts/3rdparty/login/cancelled/"),
    "socialaccount_login_error": as_visitor("/accounts/3rdparty/login/error/"),
    "social_approve_connection": approval_page,
    "404": as_visitor("/no/such/page/"),
    "admin:index": as_staff("/admin/"),
    "admin:users_user_add": as_staff("/admin/users/user/add/"),
    "admin:users_user_change": user_change_page,
    "admin:mail_outgoingemail_change": outbox_row,
    **{
        f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist": (
            as_staff(
                reverse(
                    f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
                )
            )
        )
        for model in ADMIN_MODELS
    },
    **{
        f"admin:app_list {label}": as_staff(f"/admin/{label}/")
        for label in sorted({model._meta.app_label for model in ADMIN_MODELS})
    },
}
# Named routes that are no page of their own, and why.
NOT_PAGES = {
    "health": "a probe",
    "ready": "a probe",
    "metrics": "Prometheus text",
    "set_language": "a POST that redirects",
    "profile_export": "a JSON download",
    "mfa_download_recovery_codes": "a text download",
    "mfa_login_webauthn": "the passkey sign-in's POST, from the login page",
    "usersession_end": "a POST from the devices page's row",
    "resend_verification": "a POST from the confirmation-sent page",
    "retry_address": "a POST from the email page",
    **{
        f"{esp}_tracking_webhook": "a provider's webhook (anymail)"
        for esp in ("amazon_ses", "mailgun", "postmark", "sendgrid")
    },
    # Need a security key, which only a browser's authenticator can make
    # (tests/e2e/test_passkeys.py shows them).
    "mfa_remove_webauthn": "needs a security key",
    "mfa_edit_webauthn": "needs a security key",
    "mfa_reauthenticate_webauthn": "needs a security key",
    # The OpenID Connect provider's endpoints for apps (tests/identity/).
    "idp:oidc:configuration": "the discovery document, JSON",
    "idp:oidc:jwks": "the signing keys, JSON",
    "idp:oidc:token": "an app's POST, answered in JSON",
    "idp:oidc:userinfo": "an app's request, answered in JSON",
    "idp:oidc:revoke": "an app's POST",
    # Device authorization is off (identity/views.py): a 400, and a 404.
    "idp:oidc:device_code": "off: an error in JSON",
    "idp:oidc:device_authorization": "off: not found",
    # Sign-in providers (tests/social/).
    **{
        f"{provider}_callback": "the provider sends the browser back: a redirect"
        for provider in ("kakao", "naver", "google", "openid_connect")
    },
    "google_login_by_token": "the POST of Google's One Tap script",
}


def named_routes(patterns, prefix: str = "", namespace: str = "") -> set[str]:
    """Every named route but the API's and the admin's (listed by model)."""
    found = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(("_allauth", "api/", "admin/")):
            continue
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
            found |= named_routes(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.add(f"{namespace}{pattern.name}")
    return found


def test_every_page_is_listed():
    listed = {name.split(" ")[0] for name in PAGES} | set(NOT_PAGES)
    assert named_routes(get_resolver().url_patterns) - listed == set()


# Pages that answer with an error status (allauth's page after a failed
# sign-in with a provider says 401).
STATUS = {
    "404": HTTPStatus.NOT_FOUND,
    "socialaccount_login_error": HTTPStatus.UNAUTHORIZED,
}


def render(name: str, language: str) -> str:
    client, path = PAGES[name](language)
    response = client.get(path)
    expected = STATUS.get(name, HTTPStatus.OK)
    assert response.status_code == expected, (path, response.get("Location"))
    return response.content.decode()


@pytest.mark.parametrize("name", PAGES)
def test_every_page_in_korean_says_it_in_our_words(name):
    html = render(name, "ko")

    assert '<html lang="ko"' in html
    text = visible_text(html)
    assert [(node, banned_in(node)) for node in text if banned_in(node)] == []
    # The language switch names each language in its own tongue, and the
    # service is called by its configured name.
    english = translated_english() - {"English", settings.SITE_NAME}
    assert [node for node in text if node in english] == []


def error_pages(language: str) -> dict[str, str]:
    """The pages Django renders without a view of ours: a CSRF failure and
    an error of ours (handler500)."""
    csrf = Client(enforce_csrf_checks=True, headers={"Accept-Language": language})
    forged = csrf.post("/accounts/login/", {"login": "a@example.com"})
    assert forged.status_code == HTTPStatus.FORBIDDEN
    with translation.override(language):
        failed = server_error(RequestFactory().get("/"))
    assert failed.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    return {"403 csrf": forged.content.decode(), "500": failed.content.decode()}


@pytest.mark.parametrize("language", ["en", "ko"])
def test_error_pages_are_ours_in_both_languages(language):
    for name, html in error_pages(language).items():
        assert f'<html lang="{language}"' in html, name
        assert "/static/css/site.css" in html, name
        if language == "ko":
            assert banned_in(html) == [], name
            assert re.search(r"[\uac00-\ud7a3]", html), name


def test_every_email_the_service_sends_is_made_by_the_tests():
    assert uncovered() == set()


def test_every_korean_email_says_it_in_our_words():
    for name, email in every_email("ko").items():
        html_text = "\n".join(visible_text(email.body_html))
        for part in (email.subject, email.body_text, html_text):
            assert banned_in(part) == [], name
        # The service's name and the browser's are values, not our words.
        assert (
            english_left(email.body_text, (settings.SITE_NAME, "Unspecified")) == []
        ), name


# --- One primary button per form ------------------------------------------------


class Forms(HTMLParser):
    """Each form's primary buttons: a button that is no secondary, danger or
    link button (templates/allauth/elements/button.html), counted for the
    form it submits."""

    SECONDARY = {"secondary", "danger", "link-button"}

    def __init__(self) -> None:
        super().__init__()
        self.primary: dict[str, int] = {}
        self._form: str | None = None
        self._count = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        classes = set((named.get("class") or "").split())
        if tag == "form":
            self._count += 1
            self._form = named.get("id") or f"form {self._count}"
            self.primary.setdefault(self._form, 0)
            if "language-switch" in classes:
                self._form = None  # its buttons are the languages
        submits = tag == "button" and named.get("type") in (None, "submit")
        if submits and not classes & self.SECONDARY:
            form = named.get("form") or self._form
            if form is not None:
                self.primary[form] = self.primary.get(form, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


@pytest.mark.parametrize("name", PAGES)
def test_every_form_has_at_most_one_primary_button(name):
    parser = Forms()
    parser.feed(render(name, "en"))

    assert {form: n for form, n in parser.primary.items() if n > 1} == {}
