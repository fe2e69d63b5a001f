"""The providers' bounce and complaint webhooks, at anymail's paths."""

from django.urls import path

from mail.webhooks import VIEWS, tracking_view

urlpatterns = [
    path(
        f"anymail/{provider}/tracking/",
        tracking_view(provider),
        name=f"{provider}_tracking_webhook",
    )
    for provider in VIEWS
]
