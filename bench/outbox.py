"""Benchmark: the mail pipeline's cost to a signup, its speed, and its drain.

    ./dev bench outbox

Runs the real service (gunicorn, a Celery worker and beat, a private Redis,
PostgreSQL database `accounts_bench`) against a loopback SMTP server, and
prints three tables:

1. Signup latency: median signup POST time while SMTP answers at once, and
   while it delays every message by 2 s, in the same run.
2. Time to inbox: from the signup POST to the SMTP server accepting the
   message, with a warm worker.
3. Drain: one worker sending a 10,000-row backlog over reused connections.

This is a program, not a test: it measures and prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

# Slower sweeps than the tests' 1 s, nearer production's 30 s; set before
# Django reads its settings.
os.environ.setdefault("OUTBOX_SWEEP_INTERVAL", "5")

from common import Service, fresh_database, percentile, running_service
from django.utils import timezone

from mail.models import OutgoingEmail
from tests.support.processes import wait_until

if TYPE_CHECKING:
    from tests.support.smtp import Mailbox


def signup_latency(service: Service, mailbox: Mailbox, rounds: int) -> None:
    normal, slow = [], []
    for n in range(rounds):  # interleaved, so both see the same machine
        mailbox.delay = 0
        normal.append(service.signup(f"normal{n}@bench.example"))
        mailbox.delay = 2
        slow.append(service.signup(f"slow{n}@bench.example"))
    mailbox.delay = 0
    fast, delayed = statistics.median(normal), statistics.median(slow)
    print(f"\n1. Signup POST latency (median of {rounds} each, interleaved)")
    print(f"   {'SMTP answers at once':<28} {fast * 1000:8.1f} ms")
    print(f"   {'SMTP delays 2 s a message':<28} {delayed * 1000:8.1f} ms")
    print(f"   {'ratio slow / normal':<28} {delayed / fast:8.2f}   (target <= 1.1)")


def time_to_inbox(service: Service, mailbox: Mailbox, count: int) -> None:
    # Let the slow messages from part 1 drain, so the worker is idle and warm.
    wait_until(
        lambda: not OutgoingEmail.objects.exclude(status="sent").exists(),
        600,
        "backlog from part 1 sent",
    )
    mailbox.reset()
    samples = []
    for n in range(count):
        address = f"inbox{n}@bench.example"
        before = time.monotonic()
        service.signup(address)
        (message,) = mailbox.wait_for(to=address, timeout=30)
        samples.append(message.at - before)
    print(
        f"\n2. Time to inbox: signup POST to SMTP accept ({count} signups, warm worker)"
    )
    print(
        f"   {'p50':<28} {percentile(samples, 0.50) * 1000:8.1f} ms   (target <= 300)"
    )
    print(
        f"   {'p99':<28} {percentile(samples, 0.99) * 1000:8.1f} ms   (target <= 1000)"
    )


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children, in KiB."""
    total = 0
    for child in [pid, *children(pid)]:
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except FileNotFoundError:
            continue
        if match := re.search(r"VmRSS:\s+(\d+)", status):
            total += int(match[1])
    return total


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        path = task / "children"
        if path.exists():
            for child in path.read_text().split():
                found += [int(child), *children(int(child))]
    return found


def drain(service: Service, mailbox: Mailbox, count: int) -> None:
    service.worker.stop()
    mailbox.reset()
    body = (
        "Hello from bench!\n\n"
        + "Confirm: https://example.com/accounts/confirm-email/KEY/\n" * 20
    )
    now = timezone.now()
    OutgoingEmail.objects.bulk_create(
        (
            OutgoingEmail(
                to=f"drain{n}@bench.example",
                subject="Confirm your email address",
                body_text=body,
                body_html=f"<html><body><p>{body}</p></body></html>",
                kind="verification",
                idempotency_key=f"drain-{n}",
                next_attempt_at=now - timedelta(seconds=1),
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    service.worker.start()
    assert service.worker.process is not None
    pid = service.worker.process.pid
    idle = rss_kib(pid)
    peak = idle
    started = time.monotonic()
    while len(mailbox.received) < count:
        peak = max(peak, rss_kib(pid))
        time.sleep(0.2)
        if time.monotonic() - started > 600:
            msg = "drain did not finish in 10 minutes"
            raise SystemExit(msg)
    first, last = mailbox.received[0].at, mailbox.received[-1].at
    connections = len({r.peer for r in mailbox.received})
    print(f"\n3. Drain: one worker (concurrency 1), {count} due rows")
    print(f"   {'wall time, worker start to last':<32} {last - started:8.1f} s")
    rate = count / (last - first)
    print(f"   {'rate, first to last message':<32} {rate:8.0f} msg/s   (target >= 200)")
    print(f"   {'SMTP connections used':<32} {connections:8d}")
    print(
        f"   {'worker RSS idle / peak':<32} {idle / 1024:5.0f} / {peak / 1024:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="signups per SMTP speed")
    parser.add_argument("--inbox", type=int, default=200, help="signups timed to inbox")
    parser.add_argument("--backlog", type=int, default=10_000, help="rows to drain")
    args = parser.parse_args()

    fresh_database()
    with running_service() as service:
        signup_latency(service, service.mailbox, args.rounds)
        time_to_inbox(service, service.mailbox, args.inbox)
        drain(service, service.mailbox, args.backlog)


if __name__ == "__main__":
    main()
