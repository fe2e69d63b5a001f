"""Start-up errors a person can read: one line, then exit 1.

Every entry point (manage.py, project/wsgi.py, project/celery.py) loads the
settings inside `readable_startup_errors()`. A SettingError
(project/settings/readers.py) already names the variable, what is wrong and
a good value; it is printed alone, without the traceback. So is a database
that cannot be reached while a management command runs (`migrate` with a
wrong DATABASE_URL).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.db.utils import OperationalError

from project.settings.readers import EXAMPLES, SettingError, masked

if TYPE_CHECKING:
    from collections.abc import Iterator


def _stop(line: str, code: int = 1) -> None:
    sys.stderr.write(f"{line}\n")
    sys.stderr.flush()
    raise SystemExit(code)


# gunicorn's "worker failed to boot": its master stops too, instead of
# starting workers that fail the same way for ever.
GUNICORN_BOOT_ERROR = 3


@contextmanager
def readable_startup_errors() -> Iterator[None]:
    try:
        yield
    except SettingError as exc:
        code = GUNICORN_BOOT_ERROR if "gunicorn" in sys.modules else 1
        _stop(f"Cannot start: {exc}", code)


@contextmanager
def readable_database_errors() -> Iterator[None]:
    """A command that cannot reach PostgreSQL says so in one line, naming
    DATABASE_URL (its password hidden)."""
    try:
        yield
    except OperationalError as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if "connect" not in reason and "password" not in reason:
            raise  # a failure of the command itself, not of reaching the server
        _stop(
            f"Cannot reach the database: DATABASE_URL: {_database_url()} "
            f"({reason}). Check that PostgreSQL runs there and accepts this "
            f"user. For example: DATABASE_URL={EXAMPLES['DATABASE_URL']}"
        )


def _database_url() -> str:
    db = settings.DATABASES["default"]
    password = ":***" if db.get("PASSWORD") else ""
    user = f"{db.get('USER')}{password}@" if db.get("USER") else ""
    url = f"postgres://{user}{db.get('HOST') or 'localhost'}"
    if db.get("PORT"):
        url += f":{db['PORT']}"
    url += f"/{db.get('NAME', '')}"
    return masked(urlsplit(url).geturl())
