"""Production: every deployment-specific value comes from the environment.

Required: DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, REDIS_URL,
DEFAULT_FROM_EMAIL, and EMAIL_URL unless ANYMAIL_ESP names a provider.
Everything else has a safe default; see `.env.example`.
`manage.py check --deploy --fail-level WARNING` passes.
"""

from .base import *  # noqa: F403
from .base import VAR_DIR
from .readers import (
    database_from_env,
    env,
    jwt_private_key_from_env,
    mailers_from_env,
    require_env,
    secret_key_from_env,
)

require_env(
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "DEFAULT_FROM_EMAIL",
)
if not env("ANYMAIL_ESP", default=""):
    require_env("EMAIL_URL")
# https://docs.djangoproject.com/en/6.1/ref/settings/#secret-key
SECRET_KEY = secret_key_from_env()
DATABASES = database_from_env()
# The app client issues JWTs only with a signing key of the operator's: there
# is no fallback key. Without JWT_PRIVATE_KEY the app client is off (its URLs
# answer 404; `manage.py check` says so) and the browser client still works.
HEADLESS_JWT_PRIVATE_KEY = jwt_private_key_from_env()
if HEADLESS_JWT_PRIVATE_KEY is None:
    HEADLESS_CLIENTS = ("browser",)
MAILERS = mailers_from_env()

# Static files: hashed, compressed and cached for ever once `collectstatic`
# has run; whitenoise still finds them in the app folders if it has not.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "project.storage.ForgivingManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")

# HTTPS
# https://docs.djangoproject.com/en/6.1/topics/security/#ssl-https
# Behind a proxy that terminates TLS, set DJANGO_BEHIND_TLS_PROXY=true: the
# service speaks plain HTTP to the proxy and trusts its X-Forwarded-Proto.
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers probe health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# Links in emails are https even when the proxy forgets X-Forwarded-Proto.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
