from django.urls import include, path

from users import views

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("profile/delete/", views.delete_account_page, name="profile_delete"),
    path("profile/export/", views.export_page, name="profile_export"),
    path("profile/activity/", include("activity.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    # Beside allauth's list of signed-in devices, which ends only all others.
    path("accounts/sessions/<int:pk>/end/", views.end_session, name="usersession_end"),
    # Beside allauth's /accounts/reauthenticate/, for accounts it cannot ask.
    path(
        "accounts/reauthenticate/code/",
        views.reauthenticate_by_code,
        name="reauthenticate_by_code",
    ),
    # Before allauth's accounts/ routes: the confirmation-sent page's resend.
    path(
        "accounts/email/resend/",
        views.resend_verification,
        name="resend_verification",
    ),
    path("accounts/email/retry/", views.retry_address, name="retry_address"),
]
