"""Settings shared by every environment.

Each value that differs between deployments comes from the environment
through django-environ; `.env.example` lists and explains every variable.
`dev`, `test` and `production` start from here and change only what differs.
"""

from pathlib import Path

from corsheaders.defaults import default_headers as default_cors_headers
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from ops.logs import FORMATS, logging_config
from project.settings.readers import (
    LOG_LEVELS,
    allowed_hosts_from_env,
    anymail_from_env,
    broker_url_from_env,
    dkim_key_from_env,
    env,
    from_email_from_env,
    frontend_urls_from_env,
    mailers_from_env,
    networks_from_env,
    oidc_private_key_from_env,
    public_url_from_env,
    read_dot_env,
    redis_url_from_env,
    social_providers_from_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Git-ignored working folder for the embedded defaults: SQLite, broker, inbox.
VAR_DIR = BASE_DIR / "var"

read_dot_env(BASE_DIR / ".env")

# https://docs.djangoproject.com/en/6.1/ref/settings/#debug
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# https://docs.djangoproject.com/en/6.1/ref/settings/#allowed-hosts
ALLOWED_HOSTS = allowed_hosts_from_env()

# Internationalisation
# https://docs.djangoproject.com/en/6.1/topics/i18n/
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
# Our catalog first; then our corrections of allauth's and Django's
# (translations/allauth/, translations/django/).
LOCALE_PATHS = [
    BASE_DIR / "locale",
    BASE_DIR / "translations" / "allauth",
    BASE_DIR / "translations" / "django",
]
# Where Django's date formats read wrongly (Korean: 오전 after the time).
FORMAT_MODULE_PATH = ["project.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

INSTALLED_APPS = [
    # Django's admin, signing in through allauth, second factor included.
    "users.apps.AccountsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # allauth's device list shows "5 minutes ago".
    "django.contrib.humanize",
    # Whitenoise serves static files in `runserver` too, as in production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "corsheaders",
    "allauth",
    "allauth.account",
    "allauth.headless",
    "allauth.mfa",
    "allauth.usersessions",
    # The OpenID Connect provider other apps sign in through; our side of
    # it is identity/.
    "allauth.idp.oidc",
    # Sign-in with other providers; our policy for it is social/. Each
    # provider's URLs are there; one without credentials answers 404.
    "allauth.socialaccount",
    "allauth.socialaccount.providers.kakao",
    "allauth.socialaccount.providers.naver",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.openid_connect",
    "translations",
    "mail",
    "users",
    "activity",
    "identity",
    "social",
    "ops",
]

MIDDLEWARE = [
    # Outermost: every layer below, and every log line, has the request id;
    # the metrics time everything, errors included (ops/).
    "ops.request_id.RequestIdMiddleware",
    "ops.metrics.MetricsMiddleware",
    # API errors are JSON, whatever produced them (users/api/errors.py).
    "users.api.errors.JSONErrorMiddleware",
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413 before it is read.
    "ops.unavailable.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Tokens, keys and personal data are never cached (project/middleware.py).
    "project.middleware.NoStoreMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Links use the configured origin; runs once the host is validated.
    "project.middleware.PublicOriginMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # An account with neither password nor factor proves its mailbox before
    # it sets a first password (users/reauthentication.py).
    "users.reauthentication.FirstPasswordMiddleware",
    # Each signed-in session's last activity, written at most every few
    # minutes (users/sessions.py).
    "users.sessions.SessionActivityMiddleware",
    "users.api.contract.RequestContractMiddleware",
    "users.api.refresh_cookie.RefreshTokenCookieMiddleware",
    # While an app waits for someone to sign in, the pages on the way may
    # send the browser back to it (identity/csp.py).
    "identity.csp.PendingAuthorizationMiddleware",
    # Sign-in pages may send the browser on to the configured providers; a
    # provider that is down or answers garbage gets a readable page.
    "social.middleware.ProviderMiddleware",
]

ROOT_URLCONF = "project.urls"
# Form widgets render from TEMPLATES too, so templates/ can override them.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Users and passwords
# https://docs.djangoproject.com/en/6.1/topics/auth/customizing/
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    # allauth's backend (permissions included) alone: every login, the
    # admin's too, goes through allauth's limits. It finds the account by
    # ownership of the address (users/ownership.py).
    "allauth.account.auth_backends.AuthenticationBackend",
]
# https://docs.djangoproject.com/en/6.1/topics/auth/passwords/
# Argon2id first; PBKDF2 stays so older hashes verify and are upgraded on login.
PASSWORD_HASHERS = [
    "users.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # OpenID Connect client secrets only: random, so a fast hash suffices
    # (identity/secrets.py). Last, so that no password uses it.
    "identity.secrets.ClientSecretHasher",
]
_DJANGO_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": f"{_DJANGO_VALIDATORS}.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["email", "name"]},
    },
    {"NAME": f"{_DJANGO_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_DJANGO_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_DJANGO_VALIDATORS}.NumericPasswordValidator"},
    {"NAME": "users.password_validation.MaximumLengthValidator"},
    # Passwords seen in data breaches, by k-anonymity (the first five hex
    # digits of the SHA-1 leave); an outage accepts the password.
    {"NAME": "users.password_validation.PwnedPasswordValidator"},
]
# The Have I Been Pwned range API: GET <url>/range/<first 5 hex of SHA-1>.
PWNED_PASSWORDS_URL = env(
    "PWNED_PASSWORDS_URL", default="https://api.pwnedpasswords.com"
)
# Seconds to wait for it before accepting the password anyway.
PWNED_PASSWORDS_TIMEOUT = env.float("PWNED_PASSWORDS_TIMEOUT", default=2.0)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
# Reset links expire after one hour; NIST SP 800-63B asks for 24 hours at most.
PASSWORD_RESET_TIMEOUT = env.int("DJANGO_PASSWORD_RESET_TIMEOUT", default=60 * 60)

# django-allauth
# https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_ADAPTER = "users.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "users.forms.LoginForm", "signup": "users.forms.SignupForm"}
# The base of both the signup page's form and the signup API's input.
ACCOUNT_SIGNUP_FORM_CLASS = "users.signup.SignupBase"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# A GET only shows the confirmation form; a POST confirms. Mail scanners that
# prefetch links cannot use a verification link up.
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 1
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
# Tell people when their password or addresses change: the one warning they
# get if someone else did it.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Changing the password keeps this session signed in, under a new key, and
# ends every other one, with every JWT issued to them (users/sessions.py):
# whoever knew the old password is out, and the person is not.
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# A new address replaces the old one only once it is verified; until then
# the old one still signs in.
ACCOUNT_CHANGE_EMAIL = True
# A login by emailed code, as an alternative to the password.
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Sensitive changes (a factor, an address, deleting the account) ask for
# the password, a code or a passkey again, unless the person reauthenticated
# within this many seconds. A sign-in does not count: allauth counts only
# an explicit reauthentication.
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int(
    "DJANGO_REAUTHENTICATION_TIMEOUT", default=300
)
# Adding, removing or making primary an address too (allauth asks only
# before a change of factors by default).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated so they are reviewed with the code.
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    # allauth's cooldown on verification mails counts per address alone, and
    # also swallows the "account already exists" mail: off, in favour of
    # ours, per account and address (users/adapter.py; "someone signed up
    # with your address" has a rule of its own there, not a rate limit).
    "confirm_email": "",
    "verification_email": "1/3m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = env("ACCOUNT_EMAIL_SUBJECT_PREFIX", default="")
# Second factors and passkeys (allauth.mfa)
# https://docs.allauth.org/en/latest/mfa/configuration.html
MFA_ADAPTER = "users.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# allauth's key forms, with their name field's label translated.
MFA_FORMS = {
    "add_webauthn": "users.forms.AddWebAuthnForm",
    "edit_webauthn": "users.forms.EditWebAuthnForm",
}
# Sign in with a passkey alone. Passkey *signup* stays off: allauth builds it
# on verification by code, and ours is by link.
MFA_PASSKEY_LOGIN_ENABLED = True
# allauth would refuse to add an address to an account with a second
# factor until it is verified, which leaves no way to change it. Here an
# unverified address opens nothing (users/ownership.py), so it may wait.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# Staff without a second factor cannot use /admin/ (users/admin_site.py).
ADMIN_REQUIRE_MFA = env.bool("DJANGO_ADMIN_REQUIRE_MFA", default=True)

# Signed-in devices (allauth.usersessions)
USERSESSIONS_ADAPTER = "users.sessions.UserSessionsAdapter"
# Show each session's last activity. Our middleware records it (allauth's
# own, which writes on every request, is not installed).
USERSESSIONS_TRACK_ACTIVITY = True
# Seconds between writes of a session's last activity; 0 writes every request.
USERSESSIONS_ACTIVITY_INTERVAL = env.int(
    "USERSESSIONS_ACTIVITY_INTERVAL", default=5 * 60
)

# The origin (scheme://host[:port]) every link in every email starts with,
# whatever Host header a request carried. Unset: the request's host name,
# with the service's scheme and that scheme's default port.
PUBLIC_URL = public_url_from_env()
# The service's name in emails ("Hello from ...!").
SITE_NAME = env("DJANGO_SITE_NAME", default="Accounts")
# Authenticator apps list the account under the service's name.
MFA_TOTP_ISSUER = SITE_NAME
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
# Rate limits key on the client address. Behind N reverse proxies the client
# is the Nth address from the right of X-Forwarded-For; with 0 the header is
# ignored, so a client cannot forge its own address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

# Cache: allauth's rate limits live here, so every web process must share it.
# https://docs.djangoproject.com/en/6.1/topics/cache/#redis
# While Redis is down it falls back to per-process memory (project/cache.py).
REDIS_URL = redis_url_from_env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "project.cache.FailoverRedisCache",
            "LOCATION": REDIS_URL,
        }
    }


# Email
# https://docs.djangoproject.com/en/6.1/topics/email/
MAILERS = mailers_from_env(default="smtp://127.0.0.1:25")
DEFAULT_FROM_EMAIL = from_email_from_env(default="accounts@localhost")

# The outbox (mail/outbox.py, read through mail/app_settings.py): how mail
# gets from a commit to SMTP.
# Seconds before the first retry of a deferred (4xx) or unconnectable
# delivery; each retry waits about twice as long, up to 4 hours.
EMAIL_RETRY_BACKOFF = env.int("EMAIL_RETRY_BACKOFF", default=60)
# Attempts before a message is marked failed: with the backoff above, about
# a day of trying.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=14)
# How often beat sweeps the outbox. A row the fast path did not send is due
# one interval after it was written, and waits at most one more.
OUTBOX_SWEEP_INTERVAL = env.int("OUTBOX_SWEEP_INTERVAL", default=30)
# How long a sender may hold a row before the sweeper decides it died and
# sends the row again. Longer than any one send can take (EMAIL_TIMEOUT).
OUTBOX_SENDING_LEASE = env.int("OUTBOX_SENDING_LEASE", default=120)
# Sent rows (metadata only) are deleted after this many days.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=30)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Days security events are kept (activity/); older ones are purged daily.
ACTIVITY_RETENTION_DAYS = env.int("ACTIVITY_RETENTION_DAYS", default=365)
# The account policy for the outbox admin's "Retry failed emails now".
MAIL_RESENDER = "users.emails.resend"
# What the outbox admin calls each kind of account email.
MAIL_KINDS = "users.emails.Kind"

# Email service providers (django-anymail): ANYMAIL_ESP makes MAILERS above
# send through a provider's API; here its credentials, ANYMAIL_API_URL and
# the webhooks' basic-auth ANYMAIL_WEBHOOK_SECRET.
# https://anymail.dev/en/stable/installation/#anymail-settings-reference
ANYMAIL = anymail_from_env()
# Bounces and complaints (mail/suppression.py): this many soft bounces within
# this many days make an address undeliverable, as one hard bounce does.
MAIL_SOFT_BOUNCE_LIMIT = env.int("MAIL_SOFT_BOUNCE_LIMIT", default=3)
MAIL_SOFT_BOUNCE_WINDOW_DAYS = env.int("MAIL_SOFT_BOUNCE_WINDOW_DAYS", default=7)
# Seconds a provider's webhook call stays acceptable; within them each call
# or event is taken once (mail/webhooks.py). Longer than providers retry.
MAIL_WEBHOOK_MAX_AGE = env.int("MAIL_WEBHOOK_MAX_AGE", default=12 * 60 * 60)
# DKIM signing of mail sent by SMTP (mail/backends.py), with the key published
# at <selector>._domainkey.<From domain>; `manage.py check_mail_dns` checks it.
DKIM_SELECTOR = env.str("DKIM_SELECTOR", default="")
DKIM_PRIVATE_KEY = dkim_key_from_env()

# Celery
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = broker_url_from_env(default=REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that lost Redis keeps reconnecting for as long as it takes.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A web request must not hang on an unreachable broker: one quick try, and
# the outbox row waits for the sweeper (mail/outbox.py).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    # Redis hands an unacknowledged task to another worker only after this
    # many seconds. It must outlast the longest task (their time limits stay
    # under OUTBOX_SENDING_LEASE plus one sweep), or a task still running
    # would run twice; a task lost with a killed worker is delivered by the
    # outbox sweeper long before this, so nothing waits on it.
    "visibility_timeout": 10 * 60,
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
# A backstop for any task without limits of its own.
CELERY_TASK_TIME_LIMIT = 5 * 60
# One task at a time per process: a killed worker holds nothing else back.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Beat names its broker (password hidden) when it cannot reach it (ops/beat.py).
CELERY_BEAT_SCHEDULER = "ops.beat:Scheduler"
# Beat's tasks queue behind every email waiting to be sent: Redis serves
# priority 0 (the outbox's fast path) before 9 (mail/outbox.py).
_BEHIND_MAIL = 9
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {
        "task": "mail.tasks.sweep_outbox",
        "schedule": OUTBOX_SWEEP_INTERVAL,
        # A sweep that could not start in time is dropped; the next one comes.
        "options": {"expires": OUTBOX_SWEEP_INTERVAL, "priority": _BEHIND_MAIL},
    },
    "purge-sent-emails": {
        "task": "mail.tasks.purge_sent_emails",
        "schedule": 24 * 60 * 60,
        "options": {"priority": _BEHIND_MAIL},
    },
    "purge-webhook-receipts": {
        "task": "mail.tasks.purge_webhook_receipts",
        "schedule": 60 * 60,
    },
    "purge-old-security-events": {
        "task": "activity.tasks.purge_old_events",
        "schedule": 24 * 60 * 60,
        "options": {"priority": _BEHIND_MAIL},
    },
    # Expired sessions and the device rows of ended ones (users/session_records.py).
    "purge-ended-sessions": {
        "task": "users.tasks.purge_ended_sessions",
        "schedule": 24 * 60 * 60,
        "options": {"priority": _BEHIND_MAIL},
    },
    # Expired tokens issued to other apps, and their grants (identity/).
    "purge-expired-app-tokens": {
        "task": "identity.tasks.purge_expired_tokens",
        "schedule": 24 * 60 * 60,
    },
    # Provider connections nobody approved within a day (social/).
    "purge-expired-approvals": {
        "task": "social.tasks.purge_expired_approvals",
        "schedule": 24 * 60 * 60,
    },
}

# Static files, served by whitenoise.
# https://whitenoise.readthedocs.io/
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "project" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Security headers on every response.
# https://docs.djangoproject.com/en/6.1/ref/csp/
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Logging: to stderr, where the process manager collects it.
# Request bodies: at most 1 MiB, nginx's client_max_body_size too
# (deploy/nginx/accounts.conf); larger ones get 413 (ops/unavailable.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# Probes and metrics (ops/)
# /readyz fails while the oldest unsent email is older than this (seconds).
READYZ_MAX_OUTBOX_AGE = env.int("READYZ_MAX_OUTBOX_AGE", default=300)
# /metrics answers these addresses and networks, and anyone presenting
# METRICS_TOKEN as a bearer token.
METRICS_ALLOWED_NETWORKS = networks_from_env(
    "METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"]
)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# One line per record, plain or JSON (DJANGO_LOG_FORMAT), with the request id
# (ops/logs.py); the same in web, worker and beat.
LOGGING = logging_config(
    env.choice("DJANGO_LOG_FORMAT", FORMATS, default="plain"),
    env.choice("DJANGO_LOG_LEVEL", LOG_LEVELS, default="INFO"),
)

# django-allauth headless: the JSON API under /_allauth/
# https://docs.allauth.org/en/latest/headless/configuration.html


# Sessions live in the database: JWTs are checked against them, and revoking
# one (logout, refresh-token reuse) deletes its row.
SESSION_ENGINE = "users.session_store"
HEADLESS_CLIENTS: tuple[str, ...] = ("browser", "app")
HEADLESS_SERVE_SPECIFICATION = True
# A readable page of our own beside the JSON: allauth's loads Redoc from a CDN.
HEADLESS_SPECIFICATION_TEMPLATE_NAME = "headless/openapi.html"
HEADLESS_TOKEN_STRATEGY = "users.api.jwt_strategy.RotatingJWTTokenStrategy"  # noqa: S105
HEADLESS_JWT_ALGORITHM = "RS256"
HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN = 5 * 60
HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN = env.int(
    "JWT_REFRESH_TOKEN_EXPIRES_IN", default=24 * 60 * 60
)
HEADLESS_JWT_ROTATE_REFRESH_TOKEN = True
# Every access token is checked against its session, so logging out or
# changing the password ends every access token at once.
HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED = True
# Emailed links point at a front end when one is configured: a JSON object
# from allauth's URL names to URL templates. Names left out fall back to the
# server-rendered pages.
# https://docs.allauth.org/en/latest/headless/configuration.html
HEADLESS_FRONTEND_URLS = frontend_urls_from_env()

# Sign in with Kakao, Naver, Google or an OpenID Connect provider
# (allauth.socialaccount; our policy for it, linking without takeover, is in
# social/). Each is on when its client id and secret are set.
# https://docs.allauth.org/en/latest/socialaccount/configuration.html
SOCIALACCOUNT_ADAPTER = "social.adapter.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = social_providers_from_env()
# An identity is matched by (provider, subject) only, never by address: a
# new one whose address belongs to an account never signs in to it.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_QUERY_EMAIL = True
# Seconds to wait for a provider's token or profile answer before showing
# the person an error page (they can sign in another way).
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("SOCIAL_PROVIDER_TIMEOUT", default=5)
# Whether the generic OpenID Connect provider's email_verified is believed:
# only then is its address stored as verified, and may the owner of an
# existing account with that address be mailed a link to connect it.
# Staff mark other providers so in the admin (social/models.py).
OIDC_RP_TRUST_EMAIL = env.bool("OIDC_RP_TRUST_EMAIL", default=False)

# OpenID Connect provider: other apps sign people in through this service
# (allauth.idp.oidc; our side of it in identity/). Without a signing key
# (OIDC_PRIVATE_KEY, a PEM or a path to one) its URLs are not mounted.
# https://docs.allauth.org/en/latest/idp/openid-connect/configuration.html
IDP_OIDC_ADAPTER = "identity.adapter.OIDCAdapter"
IDP_OIDC_PRIVATE_KEY = oidc_private_key_from_env()
# Each refresh returns a new refresh token, and the old one stops working
# (presenting it again revokes the grant: identity/views.py).
IDP_OIDC_ROTATE_REFRESH_TOKEN = True
# A refresh token lives this long past its last use.
IDP_OIDC_REFRESH_TOKEN_EXPIRES_IN = 30 * 24 * 60 * 60

# Cross-origin front ends (a Next.js app on another origin, say).
# https://github.com/adamchainz/django-cors-headers
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/(_allauth|api)/.*$"
CORS_ALLOW_CREDENTIALS = True
CORS_ALLOW_HEADERS = (
    *default_cors_headers,
    "x-session-token",
    "x-refresh-token-transport",
)
# A front end allowed to call the API may also send CSRF-protected requests.
# https://docs.djangoproject.com/en/6.1/ref/settings/#csrf-trusted-origins
CSRF_TRUSTED_ORIGINS = [
    *env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[]),
    *CORS_ALLOWED_ORIGINS,
]
