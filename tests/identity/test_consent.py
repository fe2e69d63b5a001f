"""The person's side of an app's sign-in: the sign-in pages on the way, the
second factor, the consent page in our layout and both languages, and the
Content-Security-Policy that lets a browser go back to the app."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from activity.models import Event
from tests.support import oidc
from tests.support.factories import PASSWORD, fresh_totp_code, give_totp

pytestmark = pytest.mark.django_db


def form_action(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    (directive,) = [d for d in policy.split(";") if d.strip().startswith("form-action")]
    return directive.split()[1:]


def sign_in_on_the_way(browser: Client, user, authorize_url: str):
    """Open the app's link signed out, sign in; the answer to the login POST."""
    login_page = browser.get(authorize_url, follow=True)
    assert login_page.redirect_chain[-1][0].startswith("/accounts/login/")
    return browser.post(
        login_page.redirect_chain[-1][0], {"login": user.email, "password": PASSWORD}
    )


def test_the_consent_page_lets_its_form_return_to_the_app_only(user):
    app = oidc.register()
    browser = Client()
    browser.force_login(user)

    page = browser.get(oidc.authorize_url(app))

    assert page.status_code == HTTPStatus.OK
    assert form_action(page) == ["'self'", "https://app.example.com"]


def test_other_pages_keep_form_action_self(user, client):
    assert form_action(client.get("/accounts/login/")) == ["'self'"]


def test_the_consent_page_is_in_our_layout_in_english(user):
    app = oidc.register("Acme Notes")
    browser = Client()
    browser.force_login(user)

    html = browser.get(oidc.authorize_url(app)).content.decode()

    assert '<html lang="en">' in html
    assert 'class="site-header"' in html
    assert "Sign in to Acme Notes" in html
    assert "Your email address, and whether it is verified" in html


def test_the_consent_page_speaks_korean(user):
    app = oidc.register("Acme Notes")
    browser = Client()
    browser.force_login(user)

    html = browser.get(
        oidc.authorize_url(app), headers={"Accept-Language": "ko"}
    ).content.decode()

    assert '<html lang="ko">' in html
    assert "Acme Notes에 로그인" in html
    assert "이메일 주소" in html


def test_a_first_party_app_skips_the_consent_page(user):
    app = oidc.register("Team Admin", first_party=True)
    browser = Client()
    browser.force_login(user)

    response = browser.get(oidc.authorize_url(app))

    assert "code" in oidc.answer_of(response)


def test_signing_in_on_the_way_lets_the_login_form_return_to_the_app(user):
    app = oidc.register("Team Admin", first_party=True)
    browser = Client()

    login_page = browser.get(oidc.authorize_url(app), follow=True)
    response = sign_in_on_the_way(browser, user, oidc.authorize_url(app))

    # The login form's POST goes on, through authorize, to the app.
    assert form_action(login_page) == ["'self'", "https://app.example.com"]
    assert response["Location"].startswith("/identity/o/authorize?")
    assert "code" in oidc.answer_of(browser.get(response["Location"]))
    # Once back at the app, other pages are as strict as before.
    assert form_action(browser.get("/profile/")) == ["'self'"]


def test_the_second_factor_applies_to_a_sign_in_through_the_provider(user):
    secret = give_totp(user)
    app = oidc.register("Team Admin", first_party=True)
    browser = Client()

    response = sign_in_on_the_way(browser, user, oidc.authorize_url(app))

    assert response["Location"] == "/accounts/2fa/authenticate/"
    # No code without the second factor.
    still = browser.get(oidc.authorize_url(app))
    assert still["Location"].startswith("/accounts/login/")
    factor_page = browser.get("/accounts/2fa/authenticate/")
    assert form_action(factor_page) == ["'self'", "https://app.example.com"]
    done = browser.post(
        "/accounts/2fa/authenticate/", {"code": fresh_totp_code(secret)}
    )
    assert "code" in oidc.answer_of(browser.get(done["Location"]))


def test_prompt_login_asks_for_the_password_again(user):
    app = oidc.register("Team Admin", first_party=True)
    browser = Client()
    browser.force_login(user)

    response = browser.get(oidc.authorize_url(app, prompt="login"))

    assert response["Location"].startswith("/accounts/reauthenticate/")


def test_each_authorization_is_in_the_activity_log(user):
    app = oidc.register("Acme Notes")
    browser = Client()
    browser.force_login(user)

    oidc.authorize(browser, app, scope="openid email")

    (event,) = Event.objects.filter(user=user, type=Event.Type.APP_AUTHORIZED)
    assert event.details == {
        "app": "Acme Notes",
        "client_id": app.client_id,
        "scopes": ["openid", "email"],
    }
    page = browser.get("/profile/activity/").content.decode()
    assert "Signed in to an app: Acme Notes" in page


def test_a_denied_authorization_records_nothing(user):
    app = oidc.register()
    browser = Client()
    browser.force_login(user)

    oidc.consent(browser, browser.get(oidc.authorize_url(app)), action="cancel")

    assert not Event.objects.filter(type=Event.Type.APP_AUTHORIZED).exists()


def test_the_sign_out_page_lets_its_form_return_to_the_app(user):
    app = oidc.register()
    browser = Client()
    browser.force_login(user)

    page = browser.get(
        "/identity/o/logout",
        {
            "client_id": app.client_id,
            "post_logout_redirect_uri": "https://app.example.com/signed-out",
        },
    )

    assert page.status_code == HTTPStatus.OK
    assert form_action(page) == ["'self'", "https://app.example.com"]


def test_the_sign_out_page_never_lets_a_form_go_elsewhere(user):
    app = oidc.register()
    browser = Client()
    browser.force_login(user)

    page = browser.get(
        "/identity/o/logout",
        {
            "client_id": app.client_id,
            "post_logout_redirect_uri": "https://evil.example.com/",
        },
    )

    assert "https://evil.example.com" not in page["Content-Security-Policy"]
