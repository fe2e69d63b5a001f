"""Every URL the service answers, each app's under its own prefix."""

from django.apps import apps
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from ops import metrics, probes

urlpatterns = [
    path("healthz", probes.healthz, name="health"),
    path("readyz", probes.readyz, name="ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("", include("users.urls")),
    # The OpenID Connect provider, with a signing key; /profile/apps/.
    path("", include("identity.urls")),
    # Browsers ask for /favicon.ico on every page, the admin's too.
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("favicon.svg"), permanent=True),
    ),
    # Approving a sign-in provider's connection from a mailed link (social/).
    path("", include("social.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("users.api.urls")),
    path("admin/", admin.site.urls),
    # Bounces and complaints from email service providers (mail/webhooks.py).
    path("", include("mail.urls")),
]

if apps.is_installed("dev_inbox"):  # only the dev settings install it
    urlpatterns += [path("dev/inbox/", include("dev_inbox.urls"))]

# Our answers while the database is down (503) and for bodies over the
# limit (413); the rest as Django's (ops/unavailable.py).
handler500 = "ops.unavailable.server_error"
handler400 = "ops.unavailable.bad_request"
