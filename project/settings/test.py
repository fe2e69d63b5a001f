"""The test suite: real PostgreSQL, Redis, Celery worker and SMTP server.

Tests start the worker and the SMTP server themselves (tests/conftest.py).
Every name that another run on this machine could share (Redis databases,
the queue) can be moved with an environment variable.
"""

import os

# The outbox on a test clock: retries, sweeps and leases in seconds, so fault
# tests see a whole recovery quickly. Same logic, shorter waits. Set before
# base reads them, so everything derived from them follows.
os.environ.setdefault("EMAIL_RETRY_BACKOFF", "1")
os.environ.setdefault("OUTBOX_SWEEP_INTERVAL", "1")
os.environ.setdefault("OUTBOX_SENDING_LEASE", "10")
# Redis databases and a queue of the tests' own, unless the environment
# names others; base builds the cache and broker settings from them.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", "accounts-test")

from .base import *  # noqa: F403
from .base import VAR_DIR, database_from_env, jwt_private_key_from_env

SECRET_KEY = "test-only-secret-key-that-is-long-enough-to-satisfy-the-checks"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

DATABASES = database_from_env(default="postgres://postgres@127.0.0.1:5432/accounts")
HEADLESS_JWT_PRIVATE_KEY = jwt_private_key_from_env(
    VAR_DIR / "test-jwt-private-key.pem"
)

# Served by whitenoise straight from the app folders, as in production
# without collectstatic: browser tests see the real styles.
WHITENOISE_USE_FINDERS = True
