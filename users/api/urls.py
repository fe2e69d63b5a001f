"""Routes of the JSON API: our cut of the spec, ahead of allauth's own, the
routes of features we leave off, and our endpoints."""

from django.urls import include, path

from users.api import spec, views

urlpatterns = [
    path("_allauth/openapi.json", spec.openapi_json, name="openapi_json"),
    path("_allauth/openapi.yaml", spec.openapi_yaml, name="openapi_yaml"),
    *(
        path(f"_allauth/<str:client>/v1/{feature}", views.feature_not_enabled)
        for feature in spec.DISABLED_FEATURE_PATHS
    ),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/me", views.me, name="api_me"),
    path("api/me/export", views.export, name="api_me_export"),
    path("api/me/activity", views.activity, name="api_me_activity"),
    path(
        "api/me/reauthenticate/code/request",
        views.request_reauthentication_code,
        name="api_reauthentication_code_request",
    ),
    path(
        "api/me/reauthenticate/code/confirm",
        views.confirm_reauthentication_code,
        name="api_reauthentication_code_confirm",
    ),
    path("api/token/refresh", views.refresh_with_cookie, name="api_token_refresh"),
]
