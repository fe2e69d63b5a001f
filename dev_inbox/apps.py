from django.apps import AppConfig


class DevInboxConfig(AppConfig):
    name = "dev_inbox"
    verbose_name = "Dev inbox"
