"""The provider's URLs, on allauth's standard paths, mounted only with a
signing key (OIDC_PRIVATE_KEY): without one allauth's token endpoint would
answer 500, so the discovery document answers 404 instead. Ours come first
where they stand in front of allauth's (identity/views.py)."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

from identity import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("profile/apps/", views.apps_page, name="profile_apps"),
]

if settings.IDP_OIDC_PRIVATE_KEY:
    urlpatterns += [
        path(".well-known/openid-configuration", views.configuration),
        path(".well-known/jwks.json", views.jwks),
        path("identity/o/authorize", views.authorize),
        path("identity/o/logout", views.logout),
        path("identity/o/api/token", views.token),
        path("identity/o/api/revoke", views.revoke),
        path("identity/o/api/device/code", views.device_grant_off),
        path("identity/o/device", views.device_page_off),
        path("", include("allauth.idp.urls")),
    ]
