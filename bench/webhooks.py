"""Benchmark: how many provider events the bounce and complaint webhooks
take per second, per core.

    ./dev bench webhooks [--events 1200]

Runs gunicorn with ONE sync worker on its own database and Redis, with
sent outbox rows to report on, and posts documented payloads signed as each
provider signs them (tests/support/webhooks.py): Postmark, Mailgun and
Amazon SES one event per call, SendGrid in batches. Every call is checked,
replay-guarded and applied (a third delivered, a third hard bounces, a third
soft bounces), as in production. Prints, per provider, events per second of
wall time from one client, and events per CPU-second of the web worker
(its utime + stime from /proc): the per-core figure. PostgreSQL's own CPU is
not in it (it serves other databases on this machine).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("BENCH_DATABASE", "accounts_bench_webhooks")

import common
import requests
from django.utils import timezone

from mail.models import OutgoingEmail, Suppression
from tests.support import webhooks
from tests.support.processes import RedisServer, Web, service_env

KINDS = ("delivered", "hard_bounce", "soft_bounce")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and its children (gunicorn's worker)."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def make_rows(count: int) -> list[OutgoingEmail]:
    now = timezone.now()
    return OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            to=f"reader{n}@example.com",
            subject="Confirm your email",
            kind="verification",
            status="sent",
            sent_at=now,
            idempotency_key=f"bench-{n}",
            provider_message_id=f"<bench-{n}@example.com>",
        )
        for n in range(count)
    )


def calls_for(
    provider: str, rows: list[OutgoingEmail], batch: int
) -> list[webhooks.Call]:
    if provider == "sendgrid":
        events = [
            webhooks.sendgrid_event(KINDS[i % 3], row.to, outbox_id=str(row.pk))
            for i, row in enumerate(rows)
        ]
        return [
            webhooks.sendgrid_batch(events[i : i + batch])
            for i in range(0, len(events), batch)
        ]
    build = webhooks.BUILDERS[provider]
    return [
        build(KINDS[i % 3], row.to, outbox_id=str(row.pk)) for i, row in enumerate(rows)
    ]


def post_all(url: str, calls: list[webhooks.Call]) -> float:
    session = requests.Session()
    started = time.perf_counter()
    for call in calls:
        response = session.post(
            url + call.path,
            data=call.body,
            headers={"Content-Type": call.content_type, **call.headers},
            timeout=30,
        )
        assert response.status_code == 200, (call.provider, response.status_code)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1200, help="per provider")
    parser.add_argument(
        "--batch", type=int, default=100, help="SendGrid events per call"
    )
    args = parser.parse_args()

    common.fresh_database()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    redis = RedisServer(log_dir).start()
    env = service_env(
        REDIS_URL=redis.url(0),
        CELERY_BROKER_URL=redis.url(1),
        DJANGO_LOG_LEVEL="WARNING",
        ANYMAIL_WEBHOOK_SECRET=webhooks.BASIC_AUTH,
        MAILGUN_WEBHOOK_SIGNING_KEY=webhooks.MAILGUN_SIGNING_KEY,
        SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY=webhooks.SENDGRID_VERIFICATION_KEY,
        MAIL_SOFT_BOUNCE_LIMIT="1000",  # keep every address live across runs
    )
    web = Web(log_dir, env, "--workers", "1").start()
    try:
        # Warm up: imports, connections, the first of each code path.
        warm = make_rows(40)
        for provider in webhooks.BUILDERS:
            post_all(web.url, calls_for(provider, warm[:10], 5))

        print(f"\nWebhook events, {args.events} per provider, one gunicorn sync worker")
        print(f"   {'provider':<24} {'events/s (wall)':>16} {'events/CPU-s':>14}")
        for provider in webhooks.BUILDERS:
            rows = make_rows(0) or list(
                OutgoingEmail.objects.bulk_create(
                    OutgoingEmail(
                        to=f"{provider}{n}@example.com",
                        subject="S",
                        kind="verification",
                        status="sent",
                        sent_at=timezone.now(),
                        idempotency_key=f"bench-{provider}-{n}",
                    )
                    for n in range(args.events)
                )
            )
            calls = calls_for(provider, rows, args.batch)
            cpu_before = cpu_seconds(web.process.pid)
            wall = post_all(web.url, calls)
            cpu = cpu_seconds(web.process.pid) - cpu_before
            label = f"{provider} ({len(calls)} calls)"
            print(f"   {label:<24} {len(rows) / wall:>16.0f} {len(rows) / cpu:>14.0f}")
        undeliverable = Suppression.objects.filter(suppressed_at__isnull=False).count()
        print(f"\n   addresses made undeliverable: {undeliverable}")
    finally:
        web.stop()
        redis.kill()


if __name__ == "__main__":
    main()
