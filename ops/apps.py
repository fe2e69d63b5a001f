from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from ops import checks, metrics, request_id

        checks.register()
        metrics.connect()
        request_id.connect()
