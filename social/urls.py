from django.urls import path

from social import views

urlpatterns = [
    path(
        "accounts/3rdparty/approve/<str:key>/",
        views.approve_connection,
        name="social_approve_connection",
    ),
]
