"""The test suite: real PostgreSQL, Redis, Celery worker and SMTP server.

Tests start the worker and the SMTP server themselves (tests/conftest.py),
and each run brings a Redis server, a database name and a queue of its own
(tests/support/services.py): these settings refuse to guess them, so a test
run can never fall back on what the machine shares.
"""

import os

from django.core.exceptions import ImproperlyConfigured

# The outbox on a test clock: retries, sweeps and leases in seconds, so fault
# tests see a whole recovery quickly. Same logic, shorter waits. Set before
# base reads them, so everything derived from them follows.
os.environ.setdefault("EMAIL_RETRY_BACKOFF", "1")
os.environ.setdefault("OUTBOX_SWEEP_INTERVAL", "1")
os.environ.setdefault("OUTBOX_SENDING_LEASE", "10")
for _name in ("REDIS_URL", "DATABASE_URL"):
    if not os.environ.get(_name):
        msg = (
            f"The test settings need {_name}: run the tests with `./dev test`, "
            "whose pytest plugin (tests/support/services.py) gives each run "
            "its own."
        )
        raise ImproperlyConfigured(msg)

from .base import *  # noqa: E402, F403
from .base import VAR_DIR  # noqa: E402
from .readers import (  # noqa: E402
    database_from_env,
    jwt_private_key_from_env,
    oidc_private_key_from_env,
)

SECRET_KEY = "test-only-secret-key-that-is-long-enough-to-satisfy-the-checks"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

DATABASES = database_from_env()
HEADLESS_JWT_PRIVATE_KEY = jwt_private_key_from_env(
    VAR_DIR / "test-jwt-private-key.pem"
)
IDP_OIDC_PRIVATE_KEY = oidc_private_key_from_env(VAR_DIR / "test-oidc-private-key.pem")

# No test reaches Google: where a configured Google would be called (a token
# to check), a closed loopback port answers; tests that mean to reach it
# point it at a local fake (tests/support/providers.py).
SOCIALACCOUNT_PROVIDERS.setdefault("google", {}).update(  # noqa: F405
    dict.fromkeys(
        ("CERTS_URL", "IDENTITY_URL", "ACCESS_TOKEN_URL"), "http://127.0.0.1:9/google"
    )
)

# Served by whitenoise straight from the app folders, as in production
# without collectstatic: browser tests see the real styles.
WHITENOISE_USE_FINDERS = True
