from django.urls import include, path

from users import views

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("profile/delete/", views.delete_account_page, name="profile_delete"),
    path("profile/export/", views.export_page, name="profile_export"),
    path("profile/activity/", include("activity.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    # Before allauth's accounts/ routes: the confirmation-sent page's resend.
    path(
        "accounts/email/resend/",
        views.resend_verification,
        name="resend_verification",
    ),
    path("accounts/email/retry/", views.retry_address, name="retry_address"),
]
