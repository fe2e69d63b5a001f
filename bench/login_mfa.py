"""Benchmark: what a second factor costs a login.

    ./dev bench login_mfa

Runs the real service (gunicorn, a worker, beat, a private Redis, PostgreSQL
database `accounts_bench`) and times, in interleaved rounds, a web login with
the password alone against one with the password and then an authenticator
app's code. Each login is a fresh browser that loads the form first; the
figures are the POSTs' own latencies. A second factor should cost one more
request and no second password hash: compare the code step with the
password step.

A program, not a test: it measures and prints.
"""

from __future__ import annotations

import argparse
import statistics

import pyotp
from common import PASSWORD, fresh_database, percentile, running_service

from tests.support.factories import UserFactory, give_totp


def ms(samples: list[float]) -> str:
    median, p90 = statistics.median(samples), percentile(samples, 0.9)
    return f"{median * 1000:8.1f} {p90 * 1000:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="logins of each kind")
    parser.add_argument("--warmup", type=int, default=5, help="rounds not counted")
    args = parser.parse_args()

    fresh_database()
    total = args.rounds + args.warmup
    plain = [
        UserFactory.create(email=f"plain{n}@bench.example", password=PASSWORD)
        for n in range(total)
    ]
    # One user per round: a TOTP code completes one login only.
    secrets = [
        give_totp(UserFactory.create(email=f"totp{n}@bench.example", password=PASSWORD))
        for n in range(total)
    ]
    password_only, password_step, code_step = [], [], []
    with running_service() as service:
        for n in range(total):  # interleaved, so both see the same machine
            one, response = service.post_form(
                service.client(),
                "/accounts/login/",
                {"login": plain[n].email, "password": PASSWORD},
            )
            assert response.headers["Location"] == "/", response.status_code
            browser = service.client()
            first, response = service.post_form(
                browser,
                "/accounts/login/",
                {"login": f"totp{n}@bench.example", "password": PASSWORD},
            )
            assert response.headers["Location"] == "/accounts/2fa/authenticate/"
            second, response = service.post_form(
                browser,
                "/accounts/2fa/authenticate/",
                {"code": pyotp.TOTP(secrets[n]).now()},
            )
            assert response.headers["Location"] == "/", response.status_code
            if n >= args.warmup:
                password_only.append(one)
                password_step.append(first)
                code_step.append(second)

    both = [a + b for a, b in zip(password_step, code_step, strict=True)]
    print(f"\nWeb login POSTs ({args.rounds} interleaved rounds, ms)")
    print(f"   {'':<34} {'median':>8} {'p90':>8}")
    print(f"   {'password alone (1 POST)':<34} {ms(password_only)}")
    print(f"   {'with TOTP: password step':<34} {ms(password_step)}")
    print(f"   {'with TOTP: code step':<34} {ms(code_step)}")
    print(f"   {'with TOTP: both (2 POSTs)':<34} {ms(both)}")
    ratio = statistics.median(code_step) / statistics.median(password_only)
    print(f"   {'code step / password login':<34} {ratio:8.2f}   (no second hash: < 1)")


if __name__ == "__main__":
    main()
