"""Every URL the service answers."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("users.urls")),
    path("accounts/", include("allauth.urls")),
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
