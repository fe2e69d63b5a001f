"""Django's database sessions (SESSION_ENGINE), with fewer statements.

- A new key is not looked up before it is used: a 32-character random key
  does not collide in practice, and if it ever did, the INSERT would fail on
  the primary key and the key is drawn again (Django's own `create` loop).
- A login's new session (`cycle_key`) is written once, at the end of the
  request, with everything the login stored in it, instead of an INSERT
  when the key changes and an UPDATE when the response goes out.
- A new session's row is one INSERT ... ON CONFLICT DO NOTHING, without
  the ORM's savepoint around it.

Every end of a session passes through `delete` (a sign-out, a device ended
from the list, an account deleted), so it says so: `session_ended`, which
identity/ hears to revoke what other apps were given from that session.
Code that ends sessions for a cause of its own (a new password ends every
other session) names it with `ending_because`, and the signal carries it.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
from django.db import connections, router
from django.dispatch import Signal
from django.utils import timezone
from django.utils.crypto import get_random_string

from project.sql import insert as sql_insert

# Attempts at a fresh key before giving up (each a collision on 32 random
# characters: never, in practice).
ATTEMPTS = 5

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.contrib.sessions.base_session import AbstractBaseSession

# A session ended: `session_key`, and `reason` (None unless ending_because
# named one).
session_ended = Signal()
# A signed-in session's key changed (a new sign-in in it): `old_key`, `new_key`.
session_rekeyed = Signal()


_reason: ContextVar[str | None] = ContextVar("session_end_reason", default=None)


@contextmanager
def ending_because(reason: str) -> Iterator[None]:
    """Sessions that end inside the block end for `reason`."""
    token = _reason.set(reason)
    try:
        yield
    finally:
        _reason.reset(token)


class SessionStore(db.SessionStore):
    _unsaved_new_key = False

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        """The session's row, unexpired, in SQL written once: read on every
        request a token or cookie makes, where the ORM took longer to build
        the query than PostgreSQL took to answer it."""
        key = self.session_key
        if key is None:
            return None
        connection = connections[router.db_for_read(self.model)]
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data, expire_date FROM {table}"  # noqa: S608 (a table name)
                " WHERE session_key = %s AND expire_date > %s",
                [key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=key, session_data=row[0], expire_date=row[1])

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)

    def cycle_key(self) -> None:
        """A new key for the same data (at login), written when saved."""
        data = self._get_session()  # type: ignore[attr-defined]
        old_key = self.session_key
        self._session_key = self._get_new_session_key()
        self._session_cache = data
        self._unsaved_new_key = True
        self.modified = True
        if old_key:
            # Its data goes on under the new key: not an end.
            super().delete(old_key)
            if SESSION_KEY in data:
                session_rekeyed.send(
                    sender=type(self), old_key=old_key, new_key=self._session_key
                )

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        super().delete(session_key)
        if key:
            session_ended.send(sender=type(self), session_key=key, reason=_reason.get())

    def save(self, must_create: bool = False) -> None:  # noqa: FBT001, FBT002 (Django's)
        if self._unsaved_new_key:
            for _ in range(ATTEMPTS):
                if self._insert():
                    self._unsaved_new_key = False
                    return
                self._session_key = self._get_new_session_key()
            raise CreateError
        if must_create and self.session_key is not None:
            if not self._insert():
                raise CreateError  # Django's create() draws another key
            return
        super().save(must_create=must_create)

    def _insert(self) -> bool:
        """Django's `save(must_create=True)` in one statement, without its
        savepoint: the new row, unless its key is taken (False)."""
        row = self.create_model_instance(self._get_session(no_load=True))  # type: ignore[attr-defined]
        insert, values, connection = sql_insert(row)
        with connection.cursor() as cursor:
            cursor.execute(f"{insert} ON CONFLICT DO NOTHING RETURNING 1", values)
            return cursor.fetchone() is not None
