"""The test suite touches nothing it did not create: run inside a test, with
the environment pointing it at someone else's Redis, it leaves that Redis
as it found it."""

from __future__ import annotations

import os
import subprocess
import sys

import redis

from tests.support.processes import ROOT, RedisServer

SOMEONE_ELSES = (0, 1, 14, 15)  # the databases a suite might reach for


def test_an_inherited_redis_url_is_never_the_suites_redis(tmp_path):
    theirs = RedisServer(tmp_path).start()
    try:
        for db in SOMEONE_ELSES:
            redis.Redis(port=theirs.port, db=db).set("their-key", "their value")

        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                # Any test empties the suite's cache before it starts.
                "tests/project/test_settings_readers.py::test_the_log_format_is_a_choice",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "REDIS_URL": theirs.url(14),
                "CELERY_BROKER_URL": theirs.url(15),
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

        assert run.returncode == 0, run.stdout + run.stderr
        for db in SOMEONE_ELSES:
            client = redis.Redis(port=theirs.port, db=db)
            assert client.get("their-key") == b"their value", db
            assert client.dbsize() == 1, db
    finally:
        theirs.kill()
