from django.urls import path

from dev_inbox import views

urlpatterns = [
    path("", views.inbox, name="dev_inbox"),
    path("<str:message_id>/", views.message, name="dev_inbox_message"),
    path("<str:message_id>/html/", views.message_html, name="dev_inbox_message_html"),
]
