"""Celery beat's scheduler, naming its broker when it cannot reach it.

Celery's worker says "Cannot connect to redis://:**@host:6379/1" on every
attempt; beat says only "Connection error: ...". This one says which broker
(its password hidden), at ERROR, on every attempt.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.beat import PersistentScheduler

logger = logging.getLogger("celery.beat")


class Scheduler(PersistentScheduler):
    def _ensure_connected(self) -> Any:
        def failed(exc: Exception, interval: float) -> None:
            logger.error(
                "beat: cannot connect to the broker %s: %s. Trying again in %s s.",
                self.connection.as_uri(),  # kombu masks the password
                exc,
                interval,
            )

        return self.connection.ensure_connection(
            failed, self.app.conf.broker_connection_max_retries
        )
