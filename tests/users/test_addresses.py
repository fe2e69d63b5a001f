"""Addresses: one canonical spelling per mailbox, the migration that rewrites
stored rows to it, and the command that lists the ones it cannot."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from users.addresses import canonical_email, spelling_conflicts
from users.models import User

FULLWIDTH_ADA = "\uff21\uff24\uff21"  # "ADA" in fullwidth letters


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("Ada@Example.COM", "ada@example.com"),
        (f"{FULLWIDTH_ADA}@example.com", "ada@example.com"),
        ("\ufb01ction@example.com", "fiction@example.com"),  # the fi ligature
        ("ada@example\u3002com", "ada@example.com"),  # ideographic full stop
        ("ada\uff20example.com", "ada@example.com"),  # fullwidth at sign
        ("ada@example.com.", "ada@example.com"),
        ("  ada@example.com  ", "ada@example.com"),
        ("ada@bücher.de", "ada@xn--bcher-kva.de"),
        ("ada@XN--BCHER-KVA.DE", "ada@xn--bcher-kva.de"),
        ("ada+news@example.com", "ada+news@example.com"),
    ],
)
def test_every_spelling_of_a_mailbox_has_one_canonical_form(spelling, canonical):
    assert canonical_email(spelling) == canonical


@pytest.mark.parametrize(
    "spelling",
    ["ada@exa_mple.com", "ada@-bad.com", "ada@a..b", "ada@", "@x.com", "ada"],
)
def test_an_address_without_a_valid_domain_has_no_canonical_form(spelling):
    with pytest.raises(ValidationError):
        canonical_email(spelling)


def test_conflicts_are_rows_of_different_accounts_sharing_a_mailbox():
    conflicts = spelling_conflicts(
        users=[(1, "Ada@Example.com"), (2, "ada@example.com"), (3, "bob@example.com")],
        verified_addresses=[(3, "bob@example.com"), (3, "BOB@example.com")],
    )

    assert conflicts == [
        [("user", 1, "Ada@Example.com"), ("user", 2, "ada@example.com")]
    ]


def test_a_stored_non_ascii_row_with_no_valid_spelling_is_a_conflict_of_its_own():
    assert spelling_conflicts([(1, "Ada@exa_mplé.com")], []) == [
        [("user", 1, "Ada@exa_mplé.com")]
    ]


def test_a_stored_ascii_row_with_no_valid_spelling_is_only_lowercased():
    assert spelling_conflicts([(1, "Ada@Exa_mple.com")], []) == []


@pytest.mark.django_db
def test_the_database_refuses_a_spelling_that_skipped_canonicalisation():
    for spelling in ["Ada@example.com", "ada@bücher.de"]:
        with (
            pytest.raises(IntegrityError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                'INSERT INTO account_emailaddress (email, verified, "primary", '
                "user_id) VALUES (%s, false, false, %s)",
                [spelling, User.objects.create_user(f"{len(spelling)}@x.com").pk],
            )


@pytest.mark.django_db
def test_find_duplicate_emails_reports_nothing_on_a_clean_database(user):
    out = StringIO()
    call_command("find_duplicate_emails", stdout=out)
    assert "No two accounts share a mailbox." in out.getvalue()


# --- Migration 0004, run against rows written before it -----------------------

BEFORE = [("users", "0003_user_language")]
AFTER = [("users", "0004_canonical_email")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def insert_user(email: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users_user (password, is_superuser, email, name, is_active,"
            " is_staff, date_joined, language) VALUES ('!', false, %s, '', true,"
            " false, now(), 'en') RETURNING id",
            [email],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def before_canonical_migration(transactional_db):
    migrate(BEFORE)
    yield
    # Whatever the test did, leave the schema as it found it: fully migrated.
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.usefixtures("before_canonical_migration")
def test_the_migration_rewrites_stored_rows_to_their_canonical_spelling():
    pk = insert_user(f"{FULLWIDTH_ADA}@Example.COM")

    apps = migrate(AFTER)

    assert apps.get_model("users", "User").objects.get(pk=pk).email == (
        "ada@example.com"
    )


@pytest.mark.usefixtures("before_canonical_migration")
def test_the_migration_stops_unchanged_when_two_accounts_share_a_mailbox():
    insert_user("ada@example.com")
    insert_user(f"{FULLWIDTH_ADA}@example.com")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("find_duplicate_emails", stdout=out)
    assert f"{FULLWIDTH_ADA}@example.com" in out.getvalue()

    with pytest.raises(RuntimeError, match="find_duplicate_emails"):
        migrate(AFTER)

    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM users_user ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == [
            "ada@example.com",
            f"{FULLWIDTH_ADA}@example.com",
        ]
    with connection.cursor() as cursor:  # resolve, so the fixture can migrate
        cursor.execute("DELETE FROM users_user")
