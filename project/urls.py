"""Every URL the service answers, each app's under its own prefix."""

from django.apps import apps
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from project import health

urlpatterns = [
    path("healthz", health.healthz, name="health"),
    path("", include("users.urls")),
    # Browsers ask for /favicon.ico on every page, the admin's too.
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("favicon.svg"), permanent=True),
    ),
    path("accounts/", include("allauth.urls")),
    path("", include("users.api.urls")),
    path("admin/", admin.site.urls),
]

if apps.is_installed("dev_inbox"):  # only the dev settings install it
    urlpatterns += [path("dev/inbox/", include("dev_inbox.urls"))]
