"""Real Celery worker processes for tests, started the way operators start them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from itertools import count
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))
_names = count(1)


def database_url() -> str:
    """The URL of the database the tests run against (test_<name>)."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def service_env(**overrides: str) -> dict[str, str]:
    """Environment for a subprocess that must see what the test process sees."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.CACHES["default"]["LOCATION"],
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    env.update(overrides)
    return env


class Worker:
    """`celery -A project worker` in its own process group, its log in a file."""

    def __init__(self, log_dir: Path, env: dict[str, str], *args: str) -> None:
        self.name = f"test{os.getpid()}-{next(_names)}"
        self.log_path = log_dir / f"worker-{self.name}.log"
        self.env = env
        self.args = args
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Worker:
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                CELERY,
                "-A",
                "project",
                "worker",
                "--loglevel",
                "INFO",
                "--hostname",
                f"{self.name}@%h",
                "--queues",
                self.env["CELERY_TASK_DEFAULT_QUEUE"],
                "--without-gossip",
                "--without-mingle",
                *self.args,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while " ready." not in self.log()[self._log_offset :]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{self.log()[-3000:]}")
            time.sleep(0.1)
        return self

    def log(self) -> str:
        return (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )

    def stop(self, timeout: float = 20) -> None:
        """A warm shutdown, as a process manager would ask for."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: no chance to clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
