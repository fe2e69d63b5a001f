"""Benchmark: what a password check costs, ours against Django's default.

    ./dev bench hashing

Times Argon2id verification with our parameters (users/hashers.py: m=19 MiB,
t=2, p=1) and with Django's default Argon2 hasher (m=100 MiB, t=2, p=8), in
alternating rounds, as wall time and CPU time per verification.
"""

from __future__ import annotations

import argparse
import statistics
import time

import common  # noqa: F401 (sets Django up)
from django.contrib.auth.hashers import Argon2PasswordHasher

from users.hashers import Argon2idPasswordHasher

CHECKED = "correct horse battery staple"


def per_verify(hasher, encoded: str, count: int) -> tuple[float, float]:
    """Wall and CPU seconds of one check of CHECKED against `encoded`."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        assert hasher.verify(CHECKED, encoded)
    return (time.perf_counter() - wall) / count, (time.process_time() - cpu) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--verifies", type=int, default=10, help="per round")
    args = parser.parse_args()

    hashers = {
        "ours (m=19 MiB, t=2, p=1)": Argon2idPasswordHasher(),
        "Django default (m=100 MiB, t=2, p=8)": Argon2PasswordHasher(),
    }
    encoded = {name: h.encode(CHECKED, h.salt()) for name, h in hashers.items()}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in hashers}
    for _ in range(args.rounds):
        for name, hasher in hashers.items():
            samples[name].append(per_verify(hasher, encoded[name], args.verifies))

    print(f"\nArgon2id, one password check (median of {args.rounds} rounds)")
    for name, values in samples.items():
        wall = statistics.median(v[0] for v in values) * 1000
        cpu = statistics.median(v[1] for v in values) * 1000
        print(f"   {name:<38} wall {wall:6.1f} ms   CPU {cpu:6.1f} ms")


if __name__ == "__main__":
    main()
