"""Benchmark: what metrics and JSON logs cost a request.

    ./dev bench ops_overhead [--seconds 5] [--rounds 5] [--clients 4]

Two gunicorn servers side by side, each with the shipped configuration
(deploy/gunicorn.conf.py, 2 sync workers, its access log on):

- "with": as operators run it with DJANGO_LOG_FORMAT=json: the metrics
  middleware, multiprocess metrics, request ids, every line JSON (the
  access log too), at INFO;
- "without": bench/bare_settings.py: no metrics middleware, no request
  ids, plain log lines, at INFO.

Each round measures both, alternately, for two requests: `GET /api/me`
with a JWT, and a login over the app API (`POST .../auth/login`, which
hashes a password). The figure is the median of the rounds' ratios
(with / without); the issue's budget is at most 5% slower (>= 0.95).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from common import ROOT, fresh_database, post_json, throughput

from tests.support.factories import PASSWORD, UserFactory
from tests.support.processes import RedisServer, Web, service_env

GUNICORN_CONF = str(ROOT / "deploy" / "gunicorn.conf.py")


def shipped_gunicorn(folder: Path, **env: str) -> Web:
    """gunicorn with the shipped configuration, on the service's `env`."""
    return Web(folder, service_env(**env), "-c", GUNICORN_CONF).start()


def access_token(port: int, email: str) -> str:
    login = post_json(
        port, "/_allauth/app/v1/auth/login", {"email": email, "password": PASSWORD}
    )
    return login["meta"]["access_token"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    fresh_database()
    user = UserFactory.create()
    email = user.email
    with tempfile.TemporaryDirectory() as folder:
        redis = RedisServer(Path(folder)).start()
        common_env = {
            "REDIS_URL": redis.url(0),
            "CELERY_BROKER_URL": redis.url(1),
            "DJANGO_LOG_LEVEL": "INFO",
            "DJANGO_TRUSTED_PROXY_COUNT": "1",
            "GUNICORN_WORKERS": "2",
        }

        servers = {
            "with": shipped_gunicorn(
                Path(folder),
                **common_env,
                DJANGO_LOG_FORMAT="json",
                PROMETHEUS_MULTIPROC_DIR=str(Path(folder) / "metrics"),
            ),
            "without": shipped_gunicorn(
                Path(folder),
                **common_env,
                DJANGO_SETTINGS_MODULE="bench.bare_settings",
                PROMETHEUS_MULTIPROC_DIR=str(Path(folder) / "unused-metrics"),
            ),
        }
        try:
            login_body = json.dumps({"email": user.email, "password": PASSWORD})
            requests_of = {
                name: {
                    "GET /api/me (JWT)": (
                        "GET",
                        "/api/me",
                        {"Authorization": f"Bearer {access_token(web.port, email)}"},
                        None,
                    ),
                    "POST app login": (
                        "POST",
                        "/_allauth/app/v1/auth/login",
                        {"Content-Type": "application/json"},
                        login_body,
                    ),
                }
                for name, web in servers.items()
            }
            labels = list(requests_of["with"])
            rates: dict[tuple[str, str], list[float]] = {
                (name, label): [] for name in servers for label in labels
            }
            ratios: dict[str, list[float]] = {label: [] for label in labels}
            for round_number in range(args.rounds):
                for label in labels:
                    # Alternate which goes first, so neither always runs warm.
                    order = (
                        list(servers) if round_number % 2 == 0 else list(servers)[::-1]
                    )
                    measured = {}
                    for name in order:
                        measured[name] = throughput(
                            servers[name].port,
                            requests_of[name][label],
                            args.seconds,
                            args.clients,
                        )
                        rates[(name, label)].append(measured[name])
                    ratios[label].append(measured["with"] / measured["without"])
        finally:
            for web in servers.values():
                web.stop()
            redis.kill()

    print(
        f"\nThroughput, gunicorn with 2 sync workers each, {args.clients} clients, "
        f"{args.rounds} alternating rounds of {args.seconds:.0f} s"
    )
    for label in labels:
        with_rate = statistics.median(rates[("with", label)])
        without_rate = statistics.median(rates[("without", label)])
        ratio = statistics.median(ratios[label])
        print(
            f"   {label:<20} with {with_rate:7.1f} req/s   "
            f"without {without_rate:7.1f} req/s   "
            f"with / without (median of rounds) {ratio:5.3f}"
        )
    print("   budget: with / without >= 0.95")


if __name__ == "__main__":
    main()
