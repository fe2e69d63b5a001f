"""Linking identities without takeover: an identity at a provider carrying
someone's address never reaches their account on its own, whatever it
claims; the owner decides. And the account-takeover properties of the
signup (users/ownership.py, users/verification.py) hold on these paths."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activity.models import Event
from mail.models import OutgoingEmail
from social.models import APPROVAL_LIFETIME, PendingConnection
from social.tasks import purge_expired_approvals
from tests.support import sign_in_providers as fakes
from tests.support.api import APP, call
from tests.support.factories import PASSWORD, UserFactory, fresh_totp_code, give_totp
from tests.support.flows import NEW_PASSWORD, link_in, path_of, prove_mailbox
from users.models import User

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.com"


def signed_in_as(browser: Client) -> str | None:
    user_id = browser.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).email if user_id else None


def as_it_was(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.email,
        user.password,
        list(EmailAddress.objects.filter(user=user).values_list("email", "verified")),
        list(SocialAccount.objects.filter(user=user).values_list("provider", "uid")),
    )


@pytest.fixture
def victim(db) -> User:
    return UserFactory.create(email=VICTIM)


def mails_to(email: str) -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(to=email).order_by("pk"))


# --- Takeover attempts --------------------------------------------------------------


ATTEMPTS = [
    (provider, trust, claim_verified)
    for provider in ("kakao", "naver", "google", "oidc")
    for trust in (True, False)
    for claim_verified in (True, False)
]


@pytest.mark.parametrize(
    "attempt",
    ATTEMPTS,
    ids=[
        f"{p}-{'trusted' if t else 'untrusted'}-{'verified' if v else 'unverified'}"
        for p, t, v in ATTEMPTS
    ],
)
def test_an_identity_with_the_victims_address_never_reaches_the_account(
    providers, trusted, victim, attempt
):
    provider, trust, claim_verified = attempt
    if trust:
        trusted(provider)
    providers.person.email = VICTIM
    providers.person.email_verified = claim_verified
    before = as_it_was(victim)
    attacker = Client()

    response = fakes.sign_in_with(attacker, provider)

    assert signed_in_as(attacker) is None
    assert as_it_was(victim) == before
    assert User.objects.count() == 1
    # Answered as a signup with a taken address is: "check your email".
    assert response["Location"] == "/accounts/confirm-email/"


def test_the_answer_is_the_same_as_for_a_free_address(providers):
    taken = Client()
    UserFactory.create(email=VICTIM)
    providers.person.email = VICTIM
    taken_answer = fakes.sign_in_with(taken, "kakao")

    providers.person.email = "nobody-here@example.com"
    providers.person.sub = "777"
    free_answer = fakes.sign_in_with(Client(), "kakao")

    assert (taken_answer.status_code, taken_answer["Location"]) == (
        free_answer.status_code,
        free_answer["Location"],
    )


def test_the_owner_is_told_of_an_untrusted_attempt_without_a_link_to_approve(
    providers, victim
):
    providers.person.email = VICTIM

    fakes.sign_in_with(Client(), "kakao")

    (mail,) = mails_to(VICTIM)
    assert "Someone tried to sign in with Kakao using your address" in mail.subject
    assert "/accounts/3rdparty/" in mail.body_text
    assert "/approve/" not in mail.body_text
    assert not PendingConnection.objects.exists()


def test_an_unverified_claim_of_a_trusted_provider_gets_no_link_either(
    providers, trusted, victim
):
    trusted("google")
    providers.person.email = VICTIM
    providers.person.email_verified = False

    fakes.sign_in_with(Client(), "google")

    (mail,) = mails_to(VICTIM)
    assert "/approve/" not in mail.body_text


def test_a_verified_claim_of_a_trusted_provider_mails_the_owner_a_link_to_approve(
    providers, trusted, victim
):
    trusted("google")
    providers.person.email = VICTIM

    fakes.sign_in_with(Client(), "google")

    (mail,) = mails_to(VICTIM)
    assert mail.subject.endswith("Connect Google to your account?")
    assert "/accounts/3rdparty/approve/" in mail.body_text
    assert not SocialAccount.objects.exists()


def approval_link(email: str = VICTIM) -> str:
    (mail,) = [m for m in mails_to(email) if "/approve/" in m.body_text]
    return path_of(link_in(mail.body_text, "/accounts/3rdparty/approve/"))


def test_the_owner_approves_and_then_signs_in_with_the_provider(
    providers, trusted, victim
):
    trusted("google")
    providers.person.email = VICTIM
    fakes.sign_in_with(Client(), "google")
    link = approval_link()
    owner = Client()

    assert "Connect Google" in owner.get(link).content.decode()
    assert not SocialAccount.objects.exists()  # a GET approves nothing
    owner.post(link)

    assert SocialAccount.objects.get().user == victim
    assert Event.objects.filter(user=victim, type="provider_connected").exists()
    browser = Client()
    fakes.sign_in_with(browser, "google")
    assert signed_in_as(browser) == VICTIM


def test_an_approval_link_works_once(providers, trusted, victim):
    trusted("google")
    providers.person.email = VICTIM
    fakes.sign_in_with(Client(), "google")
    link = approval_link()
    Client().post(link)
    SocialAccount.objects.all().delete()

    again = Client().post(link)

    assert again.status_code == HTTPStatus.NOT_FOUND
    assert not SocialAccount.objects.exists()


def test_an_approval_link_expires_after_a_day(providers, trusted, victim):
    trusted("google")
    providers.person.email = VICTIM
    fakes.sign_in_with(Client(), "google")
    link = approval_link()
    PendingConnection.objects.update(
        created_at=timezone.now() - APPROVAL_LIFETIME - timedelta(minutes=1)
    )

    assert Client().post(link).status_code == HTTPStatus.NOT_FOUND
    assert not SocialAccount.objects.exists()


def test_an_approval_link_of_a_provider_turned_off_since_connects_nothing(
    providers, trusted, victim, settings
):
    trusted("google")
    providers.person.email = VICTIM
    fakes.sign_in_with(Client(), "google")
    link = approval_link()
    settings.SOCIALACCOUNT_PROVIDERS = {}  # the operator removed Google's variables

    page = Client().get(link)
    answer = Client().post(link)

    assert (page.status_code, answer.status_code) == (HTTPStatus.NOT_FOUND,) * 2
    assert "no longer offers sign-in with that provider" in page.content.decode()
    assert not SocialAccount.objects.exists()


def test_a_made_up_approval_link_connects_nothing(client):
    response = client.post(reverse("social_approve_connection", args=["made-up"]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_second_factor_applies_to_a_sign_in_with_a_provider(
    providers, trusted, victim
):
    trusted("google")
    secret = give_totp(victim)
    SocialAccount.objects.create(user=victim, provider="google", uid="4242")
    browser = Client()

    response = fakes.sign_in_with(browser, "google")

    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_as(browser) is None
    browser.post("/accounts/2fa/authenticate/", {"code": fresh_totp_code(secret)})
    assert signed_in_as(browser) == VICTIM


# --- Matching by (provider, subject) ------------------------------------------------


def test_a_known_identity_signs_in_whatever_address_the_provider_now_has(
    providers, victim
):
    SocialAccount.objects.create(user=victim, provider="kakao", uid="4242")
    providers.person.email = "changed-at-kakao@example.com"
    before = as_it_was(victim)
    browser = Client()

    fakes.sign_in_with(browser, "kakao")

    assert signed_in_as(browser) == VICTIM
    # Nothing here changes until the new address is verified here.
    assert as_it_was(victim) == before
    assert not EmailAddress.objects.filter(email="changed-at-kakao@example.com")


def test_the_same_subject_at_another_provider_is_another_identity(providers, victim):
    SocialAccount.objects.create(user=victim, provider="kakao", uid="4242")
    providers.person.email = "someone-else@example.com"
    browser = Client()

    fakes.sign_in_with(browser, "naver")

    assert signed_in_as(browser) != VICTIM


# --- The signup's takeover properties -------------------------------------------


def test_a_provider_link_made_with_an_unverified_address_dies_when_the_owner_verifies(
    providers,
):
    """An attacker signs up through an untrusted provider with the victim's
    (free) address; the victim later verifies it from their own mailbox."""
    providers.person.email = VICTIM
    fakes.sign_in_with(Client(), "kakao")
    account = User.objects.get(email=VICTIM)
    assert SocialAccount.objects.filter(user=account).exists()

    victim = Client()
    victim.post(
        "/accounts/signup/",
        {"email": VICTIM, "password1": PASSWORD, "password2": PASSWORD},
    )
    mail = next(
        m for m in mails_to(VICTIM) if "/accounts/confirm-email/" in m.body_text
    )
    victim.post(path_of(link_in(mail.body_text, "/accounts/confirm-email/")))

    assert not SocialAccount.objects.filter(user=account).exists()
    attacker = Client()
    fakes.sign_in_with(attacker, "kakao")
    assert signed_in_as(attacker) is None


def test_the_signup_session_that_verifies_keeps_its_provider_link(providers):
    providers.person.email = "mine@example.com"
    browser = Client()
    fakes.sign_in_with(browser, "kakao")
    (mail,) = mails_to("mine@example.com")

    browser.post(path_of(link_in(mail.body_text, "/accounts/confirm-email/")))

    assert SocialAccount.objects.filter(user__email="mine@example.com").exists()
    fakes.sign_in_with(browser, "kakao")
    assert signed_in_as(browser) == "mine@example.com"


def test_an_address_a_stranger_merely_added_does_not_block_a_verified_signup(
    providers, trusted
):
    trusted("google")
    stranger = UserFactory.create(email="stranger@example.com")
    EmailAddress.objects.create(user=stranger, email=VICTIM, verified=False)
    providers.person.email = VICTIM
    browser = Client()

    fakes.sign_in_with(browser, "google")

    assert signed_in_as(browser) == VICTIM
    assert EmailAddress.objects.get(email=VICTIM).verified
    assert not EmailAddress.objects.filter(user=stranger, email=VICTIM).exists()


def test_a_verified_signup_never_takes_an_address_an_account_was_started_with(
    providers, trusted
):
    """An unverified account holds the address (its owner may yet verify):
    the provider's identity does not get in, the mailbox holder is asked."""
    trusted("google")
    started = UserFactory.create(email=VICTIM, verified=False)
    providers.person.email = VICTIM
    browser = Client()

    fakes.sign_in_with(browser, "google")

    assert signed_in_as(browser) is None
    assert not SocialAccount.objects.exists()
    # The mailbox holder approves: the address is verified, and a password
    # typed by whoever started the account stops working.
    started.password_unproven = True
    started.save()
    Client().post(approval_link())
    started.refresh_from_db()
    assert EmailAddress.objects.get(user=started).verified
    assert not started.has_usable_password()
    assert SocialAccount.objects.get().user == started


# --- Unlinking ----------------------------------------------------------------------


def connections_page(browser: Client):
    return browser.get("/accounts/3rdparty/")


def disconnect(browser: Client, account: SocialAccount):
    return browser.post("/accounts/3rdparty/", {"account": account.pk})


def signed_in_afresh(user) -> Client:
    """Signed in with the password, and reauthenticated with it: connecting
    or disconnecting a provider is a sensitive change."""
    browser = Client()
    browser.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    browser.post("/accounts/reauthenticate/", {"password": PASSWORD})
    return browser


def test_the_only_way_in_cannot_be_unlinked(providers, trusted):
    trusted("google")
    browser = Client()
    fakes.sign_in_with(browser, "google")
    account = SocialAccount.objects.get()

    response = disconnect(browser, account)

    assert SocialAccount.objects.filter(pk=account.pk).exists()
    assert "only way to sign in" in response.content.decode()


def test_a_provider_can_be_unlinked_while_a_password_remains(providers, user):
    account = SocialAccount.objects.create(user=user, provider="kakao", uid="1")
    browser = signed_in_afresh(user)

    disconnect(browser, account)

    assert not SocialAccount.objects.filter(pk=account.pk).exists()
    assert Event.objects.filter(user=user, type="provider_disconnected").exists()


def test_a_provider_can_be_unlinked_while_another_remains(providers, trusted):
    trusted("google")
    browser = Client()
    fakes.sign_in_with(browser, "google")
    user = User.objects.get()
    other = SocialAccount.objects.create(user=user, provider="kakao", uid="9")
    # With no password and no factor, the mailbox proves it is them.
    prove_mailbox(browser, user.email)

    disconnect(browser, other)

    assert not SocialAccount.objects.filter(pk=other.pk).exists()


def test_connecting_from_the_connections_page_adds_the_identity(providers, user):
    browser = signed_in_afresh(user)
    providers.person.email = "other-address@example.com"

    fakes.sign_in_with(browser, "naver", process="connect")

    assert SocialAccount.objects.get().user == user
    assert "Naver" in connections_page(browser).content.decode()


def test_connecting_a_provider_needs_a_fresh_reauthentication(providers, user):
    """A stolen session alone cannot add a way in."""
    browser = Client()
    browser.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    providers.person.email = "other-address@example.com"

    fakes.sign_in_with(browser, "naver", process="connect")

    assert not SocialAccount.objects.exists()


def test_an_identity_of_another_account_cannot_be_connected(providers, user, victim):
    SocialAccount.objects.create(user=victim, provider="naver", uid="4242")
    browser = Client()
    browser.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    fakes.sign_in_with(browser, "naver", process="connect")

    assert SocialAccount.objects.get().user == victim


def test_setting_a_password_reset_mail_reaches_a_social_only_account(
    providers, trusted
):
    """A person who signed up with a provider can get a password too."""
    trusted("google")
    fakes.sign_in_with(Client(), "google")

    Client().post("/accounts/password/reset/", {"email": "someone@example.com"})
    (mail,) = [m for m in mails_to("someone@example.com") if m.kind == "password_reset"]
    browser = Client()
    form = browser.get(path_of(link_in(mail.body_text, "/password/reset/key/")))
    browser.post(
        form["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert User.objects.get().check_password(NEW_PASSWORD)


def test_approval_links_nobody_used_are_purged_after_a_day(providers, trusted, victim):
    trusted("google")
    providers.person.email = VICTIM
    fakes.sign_in_with(Client(), "google")
    PendingConnection.objects.update(
        created_at=timezone.now() - APPROVAL_LIFETIME - timedelta(minutes=1)
    )

    purge_expired_approvals()

    assert not PendingConnection.objects.exists()


def test_the_export_lists_connected_accounts(providers, trusted):
    trusted("google")
    browser = Client()
    fakes.sign_in_with(browser, "google")

    export = browser.get("/profile/export/").json()

    assert [(a["provider"], a["uid"]) for a in export["connected_accounts"]] == [
        ("google", "4242")
    ]


def test_a_connection_to_a_provider_no_longer_configured_can_still_be_removed(
    settings, user
):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    account = SocialAccount.objects.create(user=user, provider="kakao", uid="1")
    browser = signed_in_afresh(user)

    page = connections_page(browser)
    disconnect(browser, account)

    assert page.status_code == HTTPStatus.OK
    assert "Kakao" in page.content.decode()
    assert not SocialAccount.objects.exists()
    assert Client().get("/accounts/kakao/login/").status_code == HTTPStatus.NOT_FOUND


def test_the_api_lists_a_connection_to_a_provider_no_longer_configured(settings, user):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    SocialAccount.objects.create(user=user, provider="oidc", uid="1")
    client = Client()
    client.force_login(user)

    response = client.get("/_allauth/browser/v1/account/providers")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["data"][0]["provider"]["id"] == "oidc"


def test_over_the_app_api_a_token_with_the_victims_address_signs_no_one_in(
    providers, settings, victim
):
    settings.OIDC_RP_TRUST_EMAIL = True
    providers.person.email = VICTIM
    before = as_it_was(victim)

    status, body = call(
        Client(),
        "post",
        f"{APP}/auth/provider/token",
        {
            "provider": "oidc",
            "process": "login",
            "token": {
                "client_id": "acme-client",
                "id_token": providers.id_token(providers.oidc_issuer, "acme-client"),
            },
        },
    )

    assert status == HTTPStatus.UNAUTHORIZED
    assert body["meta"]["is_authenticated"] is False
    assert "access_token" not in body["meta"]
    assert as_it_was(victim) == before
    # The owner decides: a link to approve, mailed to the address.
    assert "/accounts/3rdparty/approve/" in mails_to(VICTIM)[0].body_text
