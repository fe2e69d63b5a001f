"""The Celery application: `celery -A project worker` and `celery -A project beat`."""

import logging
import os

from celery import Celery, signals
from celery.apps import worker as celery_worker
from celery.apps.beat import Beat as CeleryBeat
from celery.apps.worker import Worker as CeleryWorker
from django.conf import settings
from django.utils.log import configure_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.production")

# Whatever imports this (celery -A project, manage.py, gunicorn) loads the
# settings now, so that a bad one stops the start in one line.
from project.startup import readable_startup_errors

with readable_startup_errors():
    settings.INSTALLED_APPS  # noqa: B018
# Django's logging from the first line on, before Celery warns of anything
# (django.setup() applies the same configuration again later).
configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
# Python's warnings as log records, in the same format.
logging.captureWarnings(True)  # noqa: FBT003 (the standard library's)

app = Celery("project")
# Every CELERY_* Django setting configures Celery.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def _logging_is_djangos(**kwargs) -> None:
    """With a receiver here, Celery configures no logging of its own: worker
    and beat log through Django's LOGGING (ops/logs.py), in the same format
    as the web processes (DJANGO_LOG_FORMAT)."""


def _json_logs() -> bool:
    return settings.LOGGING["handlers"]["console"]["formatter"] == "json"


# With DJANGO_LOG_FORMAT=json, what Celery prints rather than logs (the
# start-up banners, "Warm shutdown") stays out of the stream, as `--quiet`
# would keep it, and the shutdown is logged instead: every line is JSON.
class Worker(CeleryWorker):
    def on_before_init(self, quiet=False, **kwargs) -> None:  # noqa: FBT002 (Celery's)
        super().on_before_init(quiet=quiet or _json_logs(), **kwargs)

    def install_platform_tweaks(self, worker) -> None:
        super().install_platform_tweaks(worker)
        if _json_logs():
            celery_worker.install_worker_term_handler(worker, verbose=False)
            celery_worker.install_worker_term_hard_handler(worker, verbose=False)


@signals.worker_shutting_down.connect
def _log_shutdown(sig: str = "", how: str = "", **kwargs) -> None:
    logging.getLogger("celery.worker").info("worker: %s shutdown (%s)", how, sig)


class Beat(CeleryBeat):
    def __init__(self, *args, quiet: bool = False, **kwargs) -> None:
        super().__init__(*args, quiet=quiet or _json_logs(), **kwargs)


app.Worker = app.subclass_with_self(Worker)
app.Beat = app.subclass_with_self(Beat)
