"""Local development on embedded defaults: `./dev run`.

Nothing here needs a server. SQLite holds the data, kombu's filesystem
transport carries Celery tasks, and mail lands in a local inbox at
/dev/inbox/. Set DATABASE_URL, REDIS_URL or EMAIL_URL to use real ones.
"""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, REDIS_URL, VAR_DIR
from .readers import (
    database_from_env,
    env,
    jwt_private_key_from_env,
    oidc_private_key_from_env,
)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A new superuser may use the admin before enrolling a second factor here.
ADMIN_REQUIRE_MFA = env.bool("DJANGO_ADMIN_REQUIRE_MFA", default=False)
# The dev inbox at /dev/inbox/, only here.
INSTALLED_APPS = [*INSTALLED_APPS, "dev_inbox"]
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="django-insecure-local-development-only-never-deploy"
)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"]
)

DATABASES = database_from_env(default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
HEADLESS_JWT_PRIVATE_KEY = jwt_private_key_from_env(VAR_DIR / "jwt-private-key.pem")
IDP_OIDC_PRIVATE_KEY = oidc_private_key_from_env(VAR_DIR / "oidc-private-key.pem")

if not REDIS_URL:
    # One web process in development, so a per-process cache is shared enough.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if not env("CELERY_BROKER_URL", default=REDIS_URL):
    # An embedded broker: tasks are files under var/celery/.
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

if not env("EMAIL_URL", default="") and not env("ANYMAIL_ESP", default=""):
    # Mail the worker sends is kept as .eml files and shown at /dev/inbox/.
    MAILERS = {"default": {"BACKEND": "dev_inbox.backend.InboxEmailBackend"}}
    DEV_INBOX_DIR = VAR_DIR / "inbox"
