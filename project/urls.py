"""Every URL the service answers."""

from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from users import api, openapi

urlpatterns = [
    path("", include("users.urls")),
    # Browsers ask for /favicon.ico on every page, the admin's too.
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("favicon.svg"), permanent=True),
    ),
    path("accounts/", include("allauth.urls")),
    # Our cut of allauth's specification, ahead of allauth's own.
    path("_allauth/openapi.json", openapi.openapi_json, name="openapi_json"),
    path("_allauth/openapi.yaml", openapi.openapi_yaml, name="openapi_yaml"),
    *(
        path(f"_allauth/<str:client>/v1/{feature}", api.feature_not_enabled)
        for feature in openapi.DISABLED_FEATURE_PATHS
    ),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/me", api.me, name="api_me"),
    path("api/token/refresh", api.refresh_with_cookie, name="api_token_refresh"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG and getattr(settings, "DEV_INBOX_DIR", None):
    from users import dev_inbox

    urlpatterns += [
        path("dev/inbox/", dev_inbox.inbox, name="dev_inbox"),
        path(
            "dev/inbox/<str:message_id>/", dev_inbox.message, name="dev_inbox_message"
        ),
        path(
            "dev/inbox/<str:message_id>/html/",
            dev_inbox.message_html,
            name="dev_inbox_message_html",
        ),
    ]
