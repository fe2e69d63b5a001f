"""WSGI entry point: `gunicorn project.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

from project.startup import readable_startup_errors

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.production")

with readable_startup_errors():
    application = get_wsgi_application()
