"""Django's database sessions (SESSION_ENGINE), with fewer statements.

- A new key is not looked up before it is used: a 32-character random key
  does not collide in practice, and if it ever did, the INSERT would fail on
  the primary key and the key is drawn again (Django's own `create` loop).
- A login's new session (`cycle_key`) is written once, at the end of the
  request, with everything the login stored in it, instead of an INSERT
  when the key changes and an UPDATE when the response goes out.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
from django.utils.crypto import get_random_string

# Attempts at a fresh key before giving up (each a collision on 32 random
# characters: never, in practice).
ATTEMPTS = 5


class SessionStore(db.SessionStore):
    _unsaved_new_key = False

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
            self.delete(old_key)

    def save(self, must_create: bool = False) -> None:  # noqa: FBT001, FBT002 (Django's)
        if not self._unsaved_new_key:
            super().save(must_create=must_create)
            return
        for _ in range(ATTEMPTS):
            try:
                super().save(must_create=True)
            except CreateError:
                self._session_key = self._get_new_session_key()
                continue
            self._unsaved_new_key = False
            return
        raise CreateError
