#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

Without DJANGO_SETTINGS_MODULE it runs as `./dev run` does: the dev
settings, reading a `.env` file beside it, so `createsuperuser` reaches the
database the dev server uses.
"""

import os
import sys


def main() -> None:
    if "DJANGO_SETTINGS_MODULE" not in os.environ:
        os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings.dev"
        os.environ.setdefault("DJANGO_READ_DOT_ENV_FILE", "true")
    # Imported once the settings module is chosen: importing `project` loads
    # the settings (project/celery.py), and a bad one stops here, in a line.
    from django.core.management import execute_from_command_line  # noqa: PLC0415

    from project.startup import readable_database_errors  # noqa: PLC0415

    with readable_database_errors():
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
