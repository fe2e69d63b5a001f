# ruff: noqa: N999  (gunicorn's conventional file name is not a module name)
"""gunicorn settings for the accounts service behind nginx.

    gunicorn -c deploy/gunicorn.conf.py project.wsgi:application

deploy/systemd/accounts-web@.service runs one gunicorn per port this way,
with --bind on the command line (it wins over `bind` here). Environment
variables this file reads: GUNICORN_WORKERS, GUNICORN_BIND,
FORWARDED_ALLOW_IPS, GUNICORN_CONTROL_SOCKET; the service's own are in
.env.example.

Prometheus (prometheus-client, multiprocess mode): PROMETHEUS_MULTIPROC_DIR
is a folder that only this gunicorn uses; the systemd unit gives each
instance its own /run/accounts-metrics/web-PORT. Left unset, this file makes
a fresh one under the temporary folder. Either way, it is emptied when the
master starts, so counters start from zero with each start (Prometheus
takes that as a counter reset).
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker

# Where to listen. nginx proxies to 127.0.0.1; never expose this port.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: one request at a time each. Requests are short (a password
# hash is about 18 ms of CPU; see README "Performance") and nginx buffers
# slow clients, so blocking workers are enough.
worker_class = "sync"
# One worker per core by default. Two instances per host (8001 and 8002)
# make two per core in all, room for the time a worker waits on PostgreSQL.
# cpu_count() counts every core of the host, whatever a container or CPU
# affinity allows: set GUNICORN_WORKERS where that differs.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))

# A worker silent this long is killed and replaced: no request should take
# 30 s. nginx's proxy_read_timeout (35 s) is longer, so gunicorn decides.
timeout = 30
# On SIGTERM or reload, workers get this long to finish their request. The
# systemd unit's TimeoutStopSec (35 s) is longer.
graceful_timeout = 30
# Seconds an idle keep-alive connection stays open. The sync worker closes
# every connection after one response and ignores this; it matters only
# with a threaded worker class. Keep it above nginx's upstream
# keepalive_timeout (4 s), so nginx always closes first.
keepalive = 5

# Import the application once in the master, before forking: workers start
# faster and share its memory. Two consequences:
# - Nothing may open a database connection at import time, or every worker
#   would inherit the same socket. Django opens connections on first use,
#   in the worker, never at import; keep it so (no queries in settings,
#   AppConfig.ready() or module level).
# - A reload (SIGHUP, `systemctl reload`) forks new workers from the master's
#   already imported code: it applies changes to this file, not new code.
#   Deploy new code with a restart (docs/deploy.md).
preload_app = True

# Replace each worker after about this many requests, so a slow leak cannot
# grow without bound. The jitter spreads the restarts so workers do not
# all restart at once.
max_requests = 10000
max_requests_jitter = 1000

# Addresses allowed to set X-Forwarded-Proto and the like: nginx, on this
# host. gunicorn's own variable name.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs to stderr; systemd's journal collects them. The access log leaves out
# the path: emailed links carry one-time keys in theirs
# (/accounts/password/reset/key/...). nginx's access log has the path, with
# those keys redacted, and the same request id.
accesslog = "-"
errorlog = "-"
access_log_format = (
    '%(h)s "%(m)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}i)s pid=%(p)s'
)

# With DJANGO_LOG_FORMAT=json, gunicorn's own lines (start, workers, the
# access log) are JSON objects too, in the service's format (ops/logs.py).
if os.environ.get("DJANGO_LOG_FORMAT", "").strip().lower() == "json":
    # gunicorn merges this into its defaults, whose root logger writes to a
    # handler named "console": that name is taken over here.
    _json = {"handlers": ["console"], "level": "INFO", "propagate": False}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "ops.request_id.RequestIdFilter"}},
        "formatters": {"json": {"()": "ops.logs.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": "INFO"},
        "loggers": {"gunicorn.error": _json, "gunicorn.access": _json},
    }

# The worker heartbeat file: in memory, not on a disk that can stall it
# (gunicorn's advice). It holds nothing; workers only touch it.
_shared_memory = Path("/dev/shm")  # noqa: S108
if _shared_memory.is_dir():
    worker_tmp_dir = str(_shared_memory)

# gunicorn's control socket (gunicornc) defaults to one path per user, which
# two instances would share, in a home the systemd unit makes read-only.
# Off unless a path is given.
control_socket_disable = "GUNICORN_CONTROL_SOCKET" not in os.environ
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


# Before the application is imported (preload_app): prometheus-client picks
# its multiprocess mode when first imported, from this variable.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
        prefix="accounts-metrics-"
    )
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)


def on_starting(server: Arbiter) -> None:
    """Once, in the master, before any worker: forget the files of an
    earlier run (a reload keeps them: its old workers' counts still count)."""
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def child_exit(server: Arbiter, worker: Worker) -> None:
    """In the master, when a worker has exited: tell prometheus-client.

    Its multiprocess mode keeps files per process in PROMETHEUS_MULTIPROC_DIR;
    a dead worker's live gauges must stop counting.
    """
    from prometheus_client import multiprocess  # noqa: PLC0415

    multiprocess.mark_process_dead(worker.pid)
