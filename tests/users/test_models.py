"""The user model and its manager."""

import pytest
from allauth.account.models import EmailAddress
from django.db import IntegrityError, connection, transaction

from tests.support.factories import UserFactory
from users.models import User, user_columns, user_from_sql

pytestmark = pytest.mark.django_db


def test_create_user_normalises_the_address():
    user = User.objects.create_user("  Alice@Example.COM ", "pw-irrelevant-here")
    assert user.email == "alice@example.com"


def test_create_user_stores_a_hash_not_the_password():
    user = User.objects.create_user("bob@example.com", "s3cret-Passphrase")
    assert "s3cret-Passphrase" not in user.password
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("s3cret-Passphrase")


def test_passwords_are_hashed_with_owasps_argon2id_parameters():
    """m=19 MiB, t=2, p=1: the README's login-cost figures rest on these,
    and Django's default (m=100 MiB, p=8) would pass any looser check."""
    user = User.objects.create_user("params@example.com", "s3cret-Passphrase")

    algorithm, variant, _version, params, _salt, _hash = user.password.split("$")
    assert (algorithm, variant) == ("argon2", "argon2id")
    assert params == "m=19456,t=2,p=1"


def test_create_user_without_password_sets_an_unusable_one():
    user = User.objects.create_user("carol@example.com")
    assert not user.has_usable_password()


@pytest.mark.parametrize("email", ["", "   ", None])
def test_create_user_rejects_an_empty_address(email):
    with pytest.raises(ValueError, match="email address is required"):
        User.objects.create_user(email, "whatever-password")
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@c.d"])
def test_create_user_rejects_an_invalid_address(email):
    with pytest.raises(ValueError, match="not a valid email address"):
        User.objects.create_user(email, "whatever-password")
    assert not User.objects.exists()


def test_new_user_is_active_not_staff_and_dated():
    user = User.objects.create_user("dave@example.com")
    assert user.is_active
    assert not user.is_staff
    assert not user.is_superuser
    assert user.date_joined is not None


def test_create_superuser_sets_staff_and_superuser_and_a_verified_address():
    admin = User.objects.create_superuser("Root@Example.com", "root-Passphrase-1")
    assert admin.is_staff
    assert admin.is_superuser
    address = EmailAddress.objects.get(user=admin)
    assert (address.email, address.primary, address.verified) == (
        "root@example.com",
        True,
        True,
    )


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_create_superuser_insists_on_its_flags(flag):
    with pytest.raises(ValueError, match=flag):
        User.objects.create_superuser("x@example.com", "pw", **{flag: False})
    assert not User.objects.exists()


def test_raw_insert_of_a_case_variant_violates_the_database_constraint():
    User.objects.create_user("erin@example.com")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as c:
        # Straight to SQL: no form or manager normalises this address first.
        c.execute(
            "INSERT INTO users_user (password, is_superuser, email, name, is_active,"
            " is_staff, date_joined) VALUES ('!', false, 'Erin@Example.com', '',"
            " true, false, now())"
        )
    assert User.objects.count() == 1


def test_natural_key_lookup_ignores_case():
    user = User.objects.create_user("frank@example.com")
    assert User.objects.get_by_natural_key("FRANK@example.com") == user


def test_the_model_has_no_username_or_split_name():
    names = {field.name for field in User._meta.get_fields()}
    assert not names & {"username", "first_name", "last_name"}
    assert User.USERNAME_FIELD == User.EMAIL_FIELD == "email"
    assert User.REQUIRED_FIELDS == []


def test_a_user_read_by_sql_written_once_is_the_users_every_field():
    user = UserFactory.create(name="Ada", language="ko")
    sql = f"SELECT {user_columns('u')}, 42 AS answer FROM users_user u WHERE u.id = %s"  # noqa: S608 (column names from the model)

    found = user_from_sql(sql, [user.pk])
    missing = user_from_sql(sql, [user.pk + 1000])

    orm = User.objects.get(pk=user.pk)
    assert found is not None
    assert missing is None
    assert found.answer == 42  # type: ignore[attr-defined]
    assert found._state.adding is False  # noqa: SLF001 (Django's own marker of a saved row)
    for field in User._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(orm, field.attname), field.name
