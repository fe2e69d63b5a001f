"""`manage.py check --deploy`: the database and the broker answer.

Run before a deploy, from the host that will run the service, these tell a
wrong DATABASE_URL or CELERY_BROKER_URL (or a firewall) before any request
or email meets it.
"""

from __future__ import annotations

from typing import Any

from django.core import checks

from ops import probes


def reachable(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    results = {
        **probes.check_database_and_outbox(),
        **probes.check_redis(),
        **probes.check_broker(),
    }
    names = {
        "database": ("ops.E001", "DATABASE_URL"),
        "redis": ("ops.E002", "REDIS_URL"),
        "broker": ("ops.E003", "CELERY_BROKER_URL (REDIS_URL unless set)"),
    }
    return [
        checks.Error(
            f"The {name} does not answer: {results[name]}.",
            hint=f"Check {variable}, and that the server runs and is reachable.",
            id=check_id,
        )
        for name, (check_id, variable) in names.items()
        if results[name] != probes.OK
    ]


def register() -> None:
    # Not under Tags.database: Django runs those only when asked for a
    # database, and this one is meant for every `check --deploy`.
    checks.register(reachable, "reachable", deploy=True)
