"""Benchmark: a million users against a thousand, side by side.

    ./dev bench million_users [--users 1000000] [--rounds 40] [--reuse]

Seeds two databases of its own with verified users and their addresses, by
COPY and with one precomputed password hash (minutes, not hours):
`accounts_bench_million` (`$BENCH_DATABASE`) with `--users` of them and
`accounts_bench_million_small` with 1,000. `--reuse` keeps a seeded large
database from an earlier run (migrated again, never re-seeded). A database
that no benchmark made is never dropped or reused.

Then it runs the service on each (gunicorn, a Celery worker, beat, a
private Redis) and, in one interleaved run, measures:

1. web login (the POST, form loaded first) of a random seeded user, and web
   signup (the POST) of a new address: median latencies, large / small
   (budget: at most 1.1 for both);
2. the admin's user list, searched by email and otherwise (budget: a search
   by email under 200 ms at a million);
3. the plans: every statement of a signup, a login, a failed login and
   the admin's searches is EXPLAINed on the large database, and any
   sequential scan of a large table is named.

A program, not a test: it measures and prints.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import secrets
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("BENCH_DATABASE", "accounts_bench_million")
# The admin without its second factor: the benchmark signs staff in by password.
os.environ.setdefault("DJANGO_ADMIN_REQUIRE_MFA", "false")

from common import (
    BENCH_DB,
    PASSWORD,
    Service,
    database_url,
    fresh_database,
    made_by_bench,
    migrate,
    percentile,
)
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from project.paginator import EstimatedCountPaginator
from tests.support.smtp import Mailbox
from users.models import User

LARGE = BENCH_DB
SMALL = f"{BENCH_DB}_small"
STAFF = "staff@bench.example"
GIVEN = ["minjun", "seoyeon", "jiho", "haeun", "dohyun", "jiwoo", "grace", "alan"]
FAMILY = ["kim", "lee", "park", "choi", "jung", "kang", "cho", "yoon", "jang", "lim"]
DOMAINS = [f"{name}.example" for name in ("naver", "kakao", "daum", "gmail", "corp")]


def address(n: int) -> str:
    """Seeded user number n's address: spread over names and domains."""
    if n == 1:
        return STAFF
    return f"{GIVEN[n % 8]}.{FAMILY[n % 10]}{n}@{DOMAINS[n % 5]}"


def name(n: int) -> str:
    return f"{GIVEN[n % 8].title()} {FAMILY[n % 10].title()}"


def copy_text(value: object) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    """COPY rows into `table`, 10,000 lines a write."""
    quoted = ", ".join(f'"{column}"' for column in columns)
    with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for n, row in enumerate(rows, 1):
            buffer.write("\t".join(copy_text(value) for value in row) + "\n")
            if n % 10_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def user_rows(count: int, encoded: str):
    """Every column of users_user: the seeded values, and each other field's
    own default (so a field added later needs no change here)."""
    now = timezone.now()
    start = now - timedelta(days=5 * 365)
    step = (now - start) / count
    fields = list(User._meta.concrete_fields)
    for n in range(1, count + 1):
        seeded = {
            "id": n,
            "password": encoded,
            "last_login": None,
            "email": address(n),
            "name": name(n),
            "is_staff": n == 1,
            "is_superuser": n == 1,
            "is_active": True,
            "date_joined": (start + step * n).isoformat(),
            "language": "ko" if n % 3 else "en",
        }
        yield [
            seeded[f.attname] if f.attname in seeded else f.get_default()
            for f in fields
        ]


def seed(database: str, count: int) -> float:
    """A fresh, migrated `database` with `count` verified users and their
    addresses; the seconds it took."""
    import psycopg

    started = time.monotonic()
    fresh_database(database)
    encoded = make_password(PASSWORD)  # one hash: every user has this password
    columns = [f.column for f in User._meta.concrete_fields if f.column]
    with (
        psycopg.connect(database_url(database), autocommit=True) as db,
        db.cursor() as cursor,
    ):
        copy_rows(cursor, "users_user", columns, user_rows(count, encoded))
        copy_rows(
            cursor,
            "account_emailaddress",
            ["id", "user_id", "email", "verified", "primary"],
            ((n, n, address(n), True, True) for n in range(1, count + 1)),
        )
        for table in ("users_user", "account_emailaddress"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)",
                [count],
            )
        cursor.execute("VACUUM ANALYZE users_user, account_emailaddress")
    return time.monotonic() - started


def seeded_count(database: str) -> int:
    import psycopg

    with psycopg.connect(database_url(database)) as db:
        (count,) = db.execute("SELECT count(*) FROM users_user").fetchone() or (0,)
        return count


def login(service: Service, email: str) -> float:
    elapsed, response = service.post_form(
        service.client(), "/accounts/login/", {"login": email, "password": PASSWORD}
    )
    assert response.status_code == 302, (email, response.status_code)
    return elapsed


def staff_browser(service: Service):
    browser = service.client()
    _, response = service.post_form(
        browser, "/accounts/login/", {"login": STAFF, "password": PASSWORD}
    )
    assert response.status_code == 302, response.status_code
    return browser


def admin_get(service: Service, browser, path: str, query: dict) -> float:
    started = time.perf_counter()
    response = browser.get(f"{service.web.url}{path}", params=query, timeout=60)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (path, query, response.status_code)
    return elapsed


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def rows_read(node: dict) -> float:
    """The most rows one node of a plan produced or threw away."""
    loops = node.get("Actual Loops", 1)
    own = (
        node.get("Actual Rows", 0)
        + node.get("Rows Removed by Filter", 0)
        + node.get("Rows Removed by Index Recheck", 0)
    ) * loops
    return max([own, *(rows_read(child) for child in node.get("Plans", []))])


def explain(sql: str) -> tuple[float, float]:
    """EXPLAIN ANALYZE `sql` and undo whatever it did: the rows its plan
    read, and its execution time in ms."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        (plan,) = cursor.fetchone()[0]
        transaction.set_rollback(True)
    return rows_read(plan["Plan"]), plan["Execution Time"]


def flows_and_plans(users: int) -> None:
    """EXPLAIN ANALYZE every statement of the busiest flows on the large
    database (this process's own): none should read more than a handful of
    rows, but for the admin's count, which stops at 1,001."""
    n = random.randrange(2, users + 1)
    client = Client(HTTP_X_FORWARDED_FOR="10.9.9.9")
    staff = Client()
    staff.force_login(User.objects.get(email=STAFF))
    run = secrets.token_hex(3)
    flows = {
        "web signup": lambda: Client().post(
            "/accounts/signup/",
            {
                "email": f"plan-{run}@fresh.example",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        ),
        "web signup, taken address": lambda: Client().post(
            "/accounts/signup/",
            {"email": address(n), "password1": PASSWORD, "password2": PASSWORD},
        ),
        "web login": lambda: client.post(
            "/accounts/login/", {"login": address(n), "password": PASSWORD}
        ),
        "failed login": lambda: Client().post(
            "/accounts/login/", {"login": address(n - 1), "password": "wrong-1"}
        ),
        "admin: user list": lambda: staff.get("/admin/users/user/"),
        "admin: users by email": lambda: staff.get(
            "/admin/users/user/", {"q": address(n)}
        ),
        "admin: addresses by email": lambda: staff.get(
            "/admin/account/emailaddress/", {"q": address(n)}
        ),
    }
    print(
        f"\n3. Plans at {users:,} users (EXPLAIN ANALYZE of every statement): "
        "the most rows one step of a plan read"
    )
    print(f"   {'':<28} {'statements':>10} {'most rows':>10} {'SQL time':>10}")
    for label, flow in flows.items():
        with CaptureQueriesContext(connection) as statements:
            response = flow()
        assert response.status_code in (200, 302), (label, response.status_code)
        plans = [
            (*explain(query["sql"]), query["sql"])
            for query in statements.captured_queries
            if query["sql"].lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))
            or " ON CONFLICT " in query["sql"]
        ]
        most, _, worst = max(plans, default=(0, 0, ""))
        total = sum(took for _, took, _ in plans)
        print(f"   {label:<28} {len(plans):>10} {most:>10,.0f} {total:>7.1f} ms")
        if most > EstimatedCountPaginator.exact_up_to + 1:
            print(f"      reads too much: {worst[:200]}")


SEARCHES = {
    "user list, no search": ("/admin/users/user/", lambda n: {}),
    "users: a whole address": ("/admin/users/user/", lambda n: {"q": address(n)}),
    "users: part of an address": (
        "/admin/users/user/",
        lambda n: {"q": address(n).split("@")[0][-9:]},
    ),
    "users: a domain": ("/admin/users/user/", lambda n: {"q": DOMAINS[n % 5]}),
    "addresses: a whole address": (
        "/admin/account/emailaddress/",
        lambda n: {"q": address(n)},
    ),
}


def prepare(args: argparse.Namespace) -> None:
    if args.reuse and made_by_bench(LARGE) and seeded_count(LARGE) >= args.users:
        migrate(LARGE)
        print(f"Reusing {LARGE} ({seeded_count(LARGE):,} users)", flush=True)
    else:
        took = seed(LARGE, args.users)
        print(f"Seeded {args.users:,} users into {LARGE} in {took:.0f} s", flush=True)
    took = seed(SMALL, args.small)
    print(f"Seeded {args.small:,} users into {SMALL} in {took:.1f} s", flush=True)


def interleaved(round_number: int, sizes: dict) -> list[str]:
    """Both sizes, the first one alternating, so neither always runs warm."""
    order = list(sizes)
    return order if round_number % 2 == 0 else order[::-1]


def logins_and_signups(services: dict, sizes: dict, args) -> tuple[dict, dict]:
    run = secrets.token_hex(3)
    logins: dict[str, list[float]] = {size: [] for size in sizes}
    signups: dict[str, list[float]] = {size: [] for size in sizes}
    for n in range(args.rounds + args.warmup):
        for size in interleaved(n, sizes):
            user = random.randrange(2, sizes[size] + 1)
            took_login = login(services[size], address(user))
            took_signup = services[size].signup(f"new-{run}-{n}@fresh.example")
            if n >= args.warmup:
                logins[size].append(took_login)
                signups[size].append(took_signup)
    return logins, signups


def admin_lists(services: dict, sizes: dict, args) -> dict:
    browsers = {size: staff_browser(services[size]) for size in sizes}
    took: dict[tuple[str, str], list[float]] = {
        (label, size): [] for label in SEARCHES for size in sizes
    }
    for n in range(args.searches):
        for label, (path, query) in SEARCHES.items():
            for size in interleaved(n, sizes):
                user = random.randrange(2, sizes[size] + 1)
                took[(label, size)].append(
                    admin_get(services[size], browsers[size], path, query(user))
                )
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=40, help="logins and signups")
    parser.add_argument("--warmup", type=int, default=5, help="rounds not counted")
    parser.add_argument("--searches", type=int, default=7, help="per search")
    parser.add_argument(
        "--reuse", action="store_true", help="keep a seeded large database"
    )
    args = parser.parse_args()
    prepare(args)

    databases = {"large": LARGE, "small": SMALL}
    sizes = {"large": args.users, "small": args.small}
    mailbox = Mailbox()
    mailbox.start()
    with tempfile.TemporaryDirectory() as folder:
        services = {
            size: Service(Path(folder), mailbox, database, DJANGO_CONN_MAX_AGE="600")
            for size, database in databases.items()
        }
        try:
            logins, signups = logins_and_signups(services, sizes, args)
            admin = admin_lists(services, sizes, args)
        finally:
            for service in services.values():
                service.stop()
            mailbox.stop()

    large, small = f"{args.users:,} users", f"{args.small:,} users"
    print(
        f"\n1. Web login and signup POSTs, ms ({args.rounds} interleaved rounds "
        f"after {args.warmup} for warm-up)"
    )
    print(f"   {'':<8} {large:>16} {small:>16} {'ratio':>8}")
    for label, samples in (("login", logins), ("signup", signups)):
        big, little = (statistics.median(samples[s]) for s in ("large", "small"))
        print(
            f"   {label:<8} {ms(big):>16} {ms(little):>16} {big / little:8.2f}"
            "   (budget <= 1.1)"
        )
    print(
        f"\n2. Admin lists over HTTP, median / p90 ms of {args.searches} "
        "(budget: a search by email under 200 ms)"
    )
    print(f"   {'':<28} {large:>18} {small:>18}")
    for label in SEARCHES:
        cells = [
            f"{ms(statistics.median(admin[(label, s)]))} /"
            f"{ms(percentile(admin[(label, s)], 0.9))}"
            for s in ("large", "small")
        ]
        print(f"   {label:<28} {cells[0]:>18} {cells[1]:>18}")

    flows_and_plans(args.users)


if __name__ == "__main__":
    main()
