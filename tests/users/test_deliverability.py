"""Account policy over undeliverable addresses (users/deliverability.py):
the person is told on sign-in and on the email page, may ask again by hand,
and proving the mailbox again lets mail through; and the truth about
verification emails asked for again."""

from __future__ import annotations

import html
import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mail import suppression
from mail.models import OutgoingEmail, Suppression
from tests.support.factories import PASSWORD, UserFactory
from tests.support.flows import link_in, login, path_of, signup

pytestmark = pytest.mark.django_db

EMAIL_PAGE = reverse("account_email")
SENT_PAGE = reverse("account_email_verification_sent")
RESEND = reverse("resend_verification")


def undeliverable(address: str, reason: str = "hard_bounce") -> Suppression:
    return Suppression.objects.create(
        address=address,
        reason=reason,
        provider="postmark",
        suppressed_at=timezone.now(),
    )


def signed_in(user) -> Client:
    """Signed in on the pages and just reauthenticated, so changes of
    address go whatever ACCOUNT_REAUTHENTICATION_REQUIRED says."""
    client = Client()
    login(client, user.email, PASSWORD)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    return client


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def test_a_sign_in_tells_of_an_undeliverable_address(user):
    undeliverable(user.email)
    client = Client()

    response = login(client, user.email, PASSWORD)
    page = client.get(response["Location"])

    assert f"We couldn't deliver email to {user.email}" in text_of(page)
    assert f'href="{EMAIL_PAGE}"' in text_of(page)


def test_a_sign_in_with_every_address_fine_tells_nothing(user):
    client = Client()
    page = client.get(login(client, user.email, PASSWORD)["Location"])

    assert "couldn't deliver" not in text_of(page)


def test_the_email_page_says_the_address_is_undeliverable_and_offers_a_way_on(user):
    undeliverable(user.email, reason="complaint")

    page = text_of(signed_in(user).get(EMAIL_PAGE))

    assert "We couldn't deliver to this address" in page
    assert "spam complaint" in page
    assert f'action="{reverse("retry_address")}"' in page  # fixed it
    assert 'name="action_add"' in page  # or change to another address


def test_a_verification_asked_for_by_hand_goes_even_to_an_undeliverable_address(
    user,
):
    address = EmailAddress.objects.create(user=user, email="typo@example.com")
    undeliverable(address.email)
    client = signed_in(user)

    client.post(EMAIL_PAGE, {"email": address.email, "action_send": ""})

    row = OutgoingEmail.objects.get(to=address.email, kind="verification")
    assert row.requested_by_hand
    assert not suppression.blocks(row)


def test_mail_nobody_asked_for_stays_blocked(user):
    undeliverable(user.email)

    Client().post(reverse("account_reset_password"), {"email": user.email})

    row = OutgoingEmail.objects.get(to=user.email, kind="password_reset")
    assert not row.requested_by_hand
    assert suppression.blocks(row)


def test_verifying_the_address_again_lets_a_password_reset_through(user):
    address = EmailAddress.objects.create(user=user, email="second@example.com")
    undeliverable(address.email)
    client = signed_in(user)
    client.post(EMAIL_PAGE, {"email": address.email, "action_send": ""})
    row = OutgoingEmail.objects.get(to=address.email, kind="verification")

    client.post(path_of(link_in(row.body_text, "/accounts/confirm-email/")))
    Client().post(reverse("account_reset_password"), {"email": address.email})

    assert not Suppression.objects.get().is_active
    reset = OutgoingEmail.objects.get(to=address.email, kind="password_reset")
    assert not suppression.blocks(reset)


def test_the_owner_of_a_verified_address_asks_to_be_written_to_again(user):
    undeliverable(user.email)
    client = signed_in(user)
    assert "I fixed it: write to it again" in text_of(client.get(EMAIL_PAGE))

    page = text_of(
        client.post(reverse("retry_address"), {"email": user.email}, follow=True)
    )

    assert f"We will send email to {user.email} again" in page
    record = Suppression.objects.get()
    assert (record.is_active, record.cleared_by) == (False, "its owner, by hand")


def test_nobody_clears_an_address_of_someone_else(user):
    undeliverable("someone.else@example.com")

    signed_in(user).post(
        reverse("retry_address"), {"email": "someone.else@example.com"}
    )

    assert Suppression.objects.get().is_active


def test_completing_a_password_reset_proves_the_mailbox(user):
    undeliverable(user.email)
    client = Client()
    client.post(reverse("account_reset_password"), {"email": user.email})
    row = OutgoingEmail.objects.get(to=user.email, kind="password_reset")
    # Sent by hand from the admin, say: the link reached the person.
    link = path_of(link_in(row.body_text, "/accounts/password/reset/key/"))
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": "quiet-Harbor-meadow-58", "password2": "quiet-Harbor-meadow-58"},
    )

    assert not Suppression.objects.get().is_active


# --- The truth about a verification email asked for again ------------------------


def pending_change(user, new: str = "new@example.com") -> Client:
    client = signed_in(user)
    client.post(EMAIL_PAGE, {"email": new, "action_add": ""}, follow=True)
    return client


def test_the_email_page_says_when_the_verification_left_and_from_whom(user, settings):
    settings.DEFAULT_FROM_EMAIL = "accounts@example.com"
    settings.SITE_NAME = "Example Accounts"
    client = pending_change(user)
    OutgoingEmail.objects.filter(to="new@example.com").update(
        status="sent", sent_at=timezone.now()
    )

    page = text_of(client.get(EMAIL_PAGE))

    assert "The last verification email to <bdi>new@example.com</bdi> left us at" in (
        page
    )
    assert "It comes from <bdi>Example Accounts <accounts@example.com></bdi>" in (page)
    assert "spam or junk folder" in page


def test_asking_again_too_soon_says_from_when_another_may_be_asked_for(user):
    client = pending_change(user)

    response = client.post(
        EMAIL_PAGE, {"email": "new@example.com", "action_send": ""}, follow=True
    )

    page = text_of(response)
    assert "Confirmation email sent" not in page
    assert re.search(r"You can ask for another at \d\d:\d\d UTC", page)
    assert OutgoingEmail.objects.filter(to="new@example.com").count() == 1


def test_after_signup_the_page_names_the_address_the_sender_and_what_to_check(
    settings,
):
    settings.DEFAULT_FROM_EMAIL = "Accounts <accounts@example.com>"
    client = Client()
    signup(client, "fresh@example.com")

    page = text_of(client.get(SENT_PAGE))

    assert "We have sent an email to <bdi>fresh@example.com</bdi>" in page
    assert re.search(r"You asked for it at \d\d:\d\d UTC", page)
    assert "It comes from <bdi>Accounts <accounts@example.com></bdi>" in page
    assert "spam or junk folder" in page
    assert f'action="{RESEND}"' in page


def minutes_pass(client: Client, minutes: int) -> None:
    """As if the signup in `client`'s session, and every rate limit, were
    `minutes` older."""
    session = client.session
    session["account_login"]["initiated_at"] -= minutes * 60
    session.save()
    cache.clear()  # allauth's rate limits: their hits, as timestamps


def test_the_confirmation_sent_page_sends_again_then_shows_the_limit_as_a_time():
    client = Client()
    signup(client, "again@example.com")
    minutes_pass(client, 3)

    first = text_of(client.post(RESEND, follow=True))
    second = text_of(client.post(RESEND, follow=True))

    assert re.search(
        r"We sent the email to again@example.com again at \d\d:\d\d", first
    )
    assert OutgoingEmail.objects.filter(kind="verification").count() == 2
    assert re.search(r"You can ask for another email at \d\d:\d\d UTC", second)


def test_asking_again_right_after_signup_never_says_sent_of_an_email_held_back():
    client = Client()
    signup(client, "again@example.com")

    page = text_of(client.post(RESEND, follow=True))

    assert "We sent the email" not in page
    assert re.search(r"You can ask for another email at \d\d:\d\d UTC", page)
    assert OutgoingEmail.objects.filter(kind="verification").count() == 1


def test_asking_again_after_signup_goes_even_to_an_address_that_bounced():
    undeliverable("bounced@example.com")
    client = Client()
    signup(client, "bounced@example.com")
    minutes_pass(client, 3)

    client.post(RESEND)

    first, again = OutgoingEmail.objects.filter(kind="verification").order_by("pk")
    assert suppression.blocks(first)
    assert again.requested_by_hand
    assert not suppression.blocks(again)


def test_the_page_answers_alike_for_an_address_that_has_an_account(settings):
    UserFactory.create(email="taken@example.com")
    taken, fresh = Client(), Client()
    signup(taken, "taken@example.com")
    signup(fresh, "other@example.com")

    taken_page = text_of(taken.post(RESEND, follow=True))
    fresh_page = text_of(fresh.post(RESEND, follow=True))

    def shape(page: str, email: str) -> str:
        page = page.replace(email, "EMAIL")
        page = re.sub(r"\d\d:\d\d", "TIME", page)
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)

    assert shape(taken_page, "taken@example.com") == shape(
        fresh_page, "other@example.com"
    )


def test_without_a_pending_signup_there_is_nothing_to_resend():
    response = Client().post(RESEND, follow=True)

    assert response.status_code == HTTPStatus.OK
    assert "There is no verification waiting here" in text_of(response)


def test_the_confirmation_sent_page_asks_nothing_of_the_verified(user):
    EmailAddress.objects.filter(user=user).update(verified=True)

    page = text_of(Client().get(SENT_PAGE))

    assert "Send it again" not in page


# --- In Korean ----------------------------------------------------------------------

KOREAN = {"Accept-Language": "ko"}


def test_the_undeliverable_notice_is_korean_for_a_korean_reader(user):
    undeliverable(user.email)
    client = signed_in(user)
    client.get("/")  # the sign-in's own notice, in English, is read

    page = text_of(client.get(EMAIL_PAGE, headers=KOREAN))

    assert "이 주소로 메일을 보낼 수 없습니다" in page
    assert "해결했습니다: 다시 메일 보내기" in page
    assert "couldn't deliver" not in page


def test_the_confirmation_sent_page_is_korean_with_the_limit_as_a_time():
    client = Client(headers=KOREAN)
    signup(client, "hangul@example.com")

    client.post(RESEND, follow=True)
    page = text_of(client.post(RESEND, follow=True))

    assert "<bdi>hangul@example.com</bdi> 주소로 메일을 보냈습니다" in page
    assert "스팸 메일함을 확인하고" in page
    assert re.search(r"\d\d:\d\d UTC부터 메일을 다시 요청할 수 있습니다", page)
