"""Benchmark: does a signup's answer time tell a taken address from a free one?

    ./dev bench signup_timing

Runs the real service (gunicorn, a Celery worker and beat, a private Redis,
PostgreSQL database `accounts_bench`) and times signup POSTs in interleaved
pairs: one with a fresh address, one with an address that already has an
account (half of them verified, half not). Both paths hash a password and
write an outbox row, so their medians should stay within 20% of each other.

A program, not a test: it measures and prints.
"""

from __future__ import annotations

import argparse
import statistics

from common import fresh_database, percentile, running_service

from tests.support.factories import UserFactory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=24, help="pairs timed")
    parser.add_argument("--warmup", type=int, default=6, help="pairs not counted")
    args = parser.parse_args()

    fresh_database()
    total = args.samples + args.warmup
    for n in range(total):
        UserFactory.create(email=f"taken{n}@bench.example", verified=n % 2 == 0)
    fresh, taken = [], []
    with running_service() as service:
        for n in range(total):  # interleaved, so both see the same machine
            pair = (
                service.signup(f"fresh{n}@bench.example"),
                service.signup(f"taken{n}@bench.example"),
            )
            if n >= args.warmup:
                fresh.append(pair[0])
                taken.append(pair[1])

    print(f"\nSignup POST latency ({args.samples} interleaved pairs, ms)")
    print(f"   {'':<16} {'median':>8} {'p10':>8} {'p90':>8}")
    for name, samples in (("fresh address", fresh), ("taken address", taken)):
        print(
            f"   {name:<16} {statistics.median(samples) * 1000:8.1f}"
            f" {percentile(samples, 0.1) * 1000:8.1f}"
            f" {percentile(samples, 0.9) * 1000:8.1f}"
        )
    ratio = statistics.median(taken) / statistics.median(fresh)
    print(f"   {'taken / fresh':<16} {ratio:8.2f}   (target 0.8 to 1.2)")


if __name__ == "__main__":
    main()
