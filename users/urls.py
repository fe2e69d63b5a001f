from django.urls import path

from users import views

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("i18n/setlang/", views.set_language, name="set_language"),
]
