"""Indexes that keep the admin's account lists fast at a million users.

What the flows need is there already: logins, signups and confirmations
look addresses up by their canonical spelling, on `users_user`'s unique
`email` and `lower(email)` indexes (0001, 0004) and on allauth's `email`
index of `account_emailaddress` (bench/million_users.py shows each plan).
The admin is what scans:

- its user list is ordered by `-date_joined, -id`: a btree on both;
- its searches are `UPPER(column) LIKE UPPER('%term%')` (Django's
  `icontains`), on users' email and name and on addresses' email:
  trigram GIN indexes on exactly those expressions (pg_trgm, a trusted
  extension, so a database owner may create it).

PostgreSQL only (`./dev run`'s SQLite keeps its few rows unindexed), built
CONCURRENTLY so a live table keeps taking signups while they build.
"""

from django.db import migrations

INDEXES = {
    "users_user_date_joined_id": "users_user (date_joined, id)",
    "users_user_email_upper_trgm": "users_user USING gin (upper(email) gin_trgm_ops)",
    "users_user_name_upper_trgm": "users_user USING gin (upper(name) gin_trgm_ops)",
    "account_emailaddress_email_upper_trgm": (
        "account_emailaddress USING gin (upper(email) gin_trgm_ops)"
    ),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("users", "0007_user_public_id"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
