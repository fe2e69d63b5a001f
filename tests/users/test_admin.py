"""The Django admin for email users."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.support.factories import (
    PASSWORD,
    UserFactory,
    give_recovery_codes,
    give_totp,
)
from users.models import User

CHANGELIST = reverse("admin:users_user_changelist")


def listed_emails(response) -> set[str]:
    return {user.email for user in response.context["cl"].result_list}


@pytest.mark.django_db
def test_changelist_shows_the_email_columns(staff_client):
    UserFactory.create(email="listed@example.com", name="Lee Listed")

    response = staff_client.get(CHANGELIST)

    assert response.status_code == HTTPStatus.OK
    assert "listed@example.com" in listed_emails(response)
    for column in [
        "email",
        "name",
        "verified",
        "is_staff",
        "is_active",
        "joined",  # date_joined and last_login, 16 characters each
        "last_signed_in",
    ]:
        assert column in response.context["cl"].list_display


@pytest.mark.django_db
def test_search_finds_users_by_part_of_their_email(staff_client):
    UserFactory.create(email="needle@example.com")
    UserFactory.create(email="hay@example.com")

    response = staff_client.get(CHANGELIST, {"q": "NEEDLE"})

    assert listed_emails(response) == {"needle@example.com"}


@pytest.mark.django_db
def test_search_finds_users_by_name(staff_client):
    UserFactory.create(email="n1@example.com", name="Grace Hopper")
    UserFactory.create(email="n2@example.com", name="Alan Turing")

    assert listed_emails(staff_client.get(CHANGELIST, {"q": "hopper"})) == {
        "n1@example.com"
    }


@pytest.mark.django_db
def test_verified_filter_splits_verified_from_unverified(staff_client):
    UserFactory.create(email="yes@example.com")
    UserFactory.create(email="no@example.com", verified=False)

    verified = listed_emails(staff_client.get(CHANGELIST, {"verified": "yes"}))
    unverified = listed_emails(staff_client.get(CHANGELIST, {"verified": "no"}))

    assert "yes@example.com" in verified
    assert "no@example.com" not in verified
    assert unverified == {"no@example.com"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("flag", "value"), [("is_staff__exact", "0"), ("is_active__exact", "0")]
)
def test_staff_and_active_filters_work(staff_client, flag, value):
    UserFactory.create(email="plain@example.com", is_active=False)

    response = staff_client.get(CHANGELIST, {flag: value})

    assert response.status_code == HTTPStatus.OK
    assert "plain@example.com" in listed_emails(response)
    assert "boss@example.com" not in listed_emails(response)


@pytest.mark.django_db
def test_add_form_creates_a_user_with_a_normalised_email_and_an_address(staff_client):
    response = staff_client.post(
        reverse("admin:users_user_add"),
        {
            "email": "Added@Example.com",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == HTTPStatus.FOUND, response.context[
        "adminform"
    ].form.errors
    user = User.objects.get(email="added@example.com")
    assert user.check_password(PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.primary, address.verified) == (
        "added@example.com",
        True,
        False,
    )


@pytest.mark.django_db
def test_add_form_refuses_a_case_variant_of_an_existing_email(staff_client):
    UserFactory.create(email="twin@example.com")

    response = staff_client.post(
        reverse("admin:users_user_add"),
        {
            "email": "TWIN@example.com",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert response.context["adminform"].form.errors["email"]
    assert User.objects.filter(email__iexact="twin@example.com").count() == 1


@pytest.mark.django_db
def test_add_form_has_no_username_field(staff_client):
    form = staff_client.get(reverse("admin:users_user_add")).context["adminform"].form
    assert "username" not in form.fields
    assert {"email", "password1", "password2"} <= set(form.fields)


@pytest.mark.django_db
def test_change_page_shows_addresses_and_no_part_of_the_hash(staff_client):
    user = UserFactory.create(email="shown@example.com")

    response = staff_client.get(reverse("admin:users_user_change", args=[user.pk]))

    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "shown@example.com" in body
    assert "A password is set." in body
    salt, digest = user.password.split("$")[-2:]
    assert salt[:6] not in body
    assert digest[:6] not in body


@pytest.mark.django_db
def test_deactivate_action_deactivates_others_but_not_yourself(staff_client):
    target = UserFactory.create(email="bye@example.com")
    boss = User.objects.get(email="boss@example.com")

    staff_client.post(
        CHANGELIST,
        {"action": "deactivate", "_selected_action": [target.pk, boss.pk]},
    )

    target.refresh_from_db()
    boss.refresh_from_db()
    assert not target.is_active
    assert boss.is_active


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_sites_login(client):
    response = client.get("/admin/users/user/", follow=True)

    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert b'name="password"' in response.content


@pytest.mark.django_db
def test_the_admin_login_page_authenticates_nobody(client):
    User.objects.create_superuser("root@example.com", PASSWORD)

    response = client.post(
        reverse("admin:login"), {"username": "root@example.com", "password": PASSWORD}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_non_staff_users_are_refused_the_admin(client, user):
    client.force_login(user)

    response = client.get("/admin/", follow=True)

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.django_db
def test_staff_without_a_second_factor_are_sent_to_set_one_up(client):
    client.force_login(User.objects.create_superuser("new@example.com", PASSWORD))

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == reverse("mfa_index")
    assert b"Set up two-step verification" in response.content
    assert client.get("/admin/users/user/").status_code == HTTPStatus.FOUND


@pytest.mark.django_db
def test_without_the_requirement_staff_use_the_admin_with_a_password(client, settings):
    settings.ADMIN_REQUIRE_MFA = False
    client.force_login(User.objects.create_superuser("dev@example.com", PASSWORD))

    assert client.get("/admin/").status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_staff_keep_their_last_second_factor_while_the_admin_requires_one(
    settings,
):
    boss = User.objects.create_superuser("keeper@example.com", PASSWORD)
    give_totp(boss)
    (totp,) = Authenticator.objects.filter(user=boss)
    adapter = get_mfa_adapter()

    assert not adapter.can_delete_authenticator(totp)
    settings.ADMIN_REQUIRE_MFA = False
    assert adapter.can_delete_authenticator(totp)


@pytest.mark.django_db
def test_people_who_are_not_staff_may_remove_any_factor():
    person = UserFactory.create()
    give_totp(person)
    (totp,) = Authenticator.objects.filter(user=person)

    assert get_mfa_adapter().can_delete_authenticator(totp)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_resend_verification_action_sends_through_the_worker(staff_client, mailbox):
    pending = UserFactory.create(email="pending@example.com", verified=False)
    done = UserFactory.create(email="done@example.com")

    response = staff_client.post(
        CHANGELIST,
        {
            "action": "resend_verification_email",
            "_selected_action": [pending.pk, done.pk],
        },
        follow=True,
    )

    assert response.status_code == HTTPStatus.OK
    assert b"Queued 2 verification emails." in response.content
    for address in ("pending@example.com", "done@example.com"):
        (message,) = mailbox.wait_for(to=address)
        assert "/accounts/confirm-email/" in message.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_resend_verification_to_a_user_added_in_the_admin_creates_their_address(
    staff_client, mailbox
):
    added = User.objects.create_user("added.by.staff@example.com")

    staff_client.post(
        CHANGELIST,
        {"action": "resend_verification_email", "_selected_action": [added.pk]},
    )

    mailbox.wait_for(to="added.by.staff@example.com")
    address = EmailAddress.objects.get(user=added)
    assert (address.primary, address.verified) == (True, False)


@pytest.mark.django_db
def test_an_address_edited_in_the_admin_is_stored_canonically(staff_client):
    address = EmailAddress.objects.get(
        user=UserFactory.create(email="edited@example.com")
    )

    response = staff_client.post(
        reverse("admin:account_emailaddress_change", args=[address.pk]),
        {
            "user": address.user_id,
            "email": "\uff25\uff24\uff29\uff34\uff25\uff24@Example.COM",  # fullwidth
            "verified": "on",
            "primary": "on",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    address.refresh_from_db()
    assert address.email == "edited@example.com"


@pytest.mark.django_db
def test_the_user_page_lists_factors_without_their_secrets(staff_client):
    person = UserFactory.create(email="factors@example.com")
    secret = give_totp(person)
    codes = give_recovery_codes(person)

    page = staff_client.get(reverse("admin:users_user_change", args=[person.pk]))

    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert "Authenticator app" in text
    assert "Recovery codes" in text
    assert secret not in text
    assert not [code for code in codes if code in text]
    assert staff_client.get("/admin/mfa/authenticator/").status_code == (
        HTTPStatus.NOT_FOUND
    )


@pytest.mark.django_db
def test_staff_remove_a_lost_factor_on_the_users_page(staff_client):
    person = UserFactory.create(email="lost.phone@example.com")
    give_totp(person)
    (totp,) = Authenticator.objects.filter(user=person)
    page = staff_client.get(reverse("admin:users_user_change", args=[person.pk]))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in ("email", "name", "language", "is_active", "date_joined")
    }
    prefix = "authenticator_set"
    data.update(
        {
            "date_joined_0": person.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": person.date_joined.strftime("%H:%M:%S"),
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-0-id": str(totp.pk),
            f"{prefix}-0-user": str(person.pk),
            f"{prefix}-0-DELETE": "on",
            "emailaddress_set-TOTAL_FORMS": "1",
            "emailaddress_set-INITIAL_FORMS": "1",
            "emailaddress_set-0-id": str(EmailAddress.objects.get(user=person).pk),
            "emailaddress_set-0-user": str(person.pk),
        }
    )

    response = staff_client.post(
        reverse("admin:users_user_change", args=[person.pk]), data
    )

    assert response.status_code == HTTPStatus.FOUND, response.content[:3000]
    assert not Authenticator.objects.filter(user=person).exists()


@pytest.mark.django_db
def test_the_admin_reads_people_then_users_and_names_the_service(
    staff_client, settings
):
    settings.SITE_NAME = "Hanbit"

    page = staff_client.get(reverse("admin:users_user_changelist")).content.decode()

    trail = page[page.index('<ol class="breadcrumbs">') :]
    trail = trail[: trail.index("</ol>")]
    assert re.findall(r"<li[^>]*>(?:<a [^>]*>)?([^<]*)", trail) == [
        "Home",
        "People",
        "Users",
    ]
    assert "Hanbit administration" in page
