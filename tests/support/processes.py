"""Real processes for tests, started the way operators start them: Celery
workers and beat, gunicorn, the Next.js client (clients/nextjs/), and
private Redis servers and PostgreSQL clusters that tests may stop or kill."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from itertools import count
from pathlib import Path

import redis
import requests
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
_names = count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float = 20, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            msg = f"{message} not met after {timeout}s"
            raise AssertionError(msg)
        time.sleep(0.05)


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


class Process:
    """A subprocess in its own process group, its output in a log file."""

    ready_text = ""

    def __init__(self, log_dir: Path, env: dict[str, str], *args: str) -> None:
        self.name = f"{type(self).__name__.lower()}{os.getpid()}-{next(_names)}"
        self.log_path = log_dir / f"{self.name}.log"
        self.env = env
        self.args = args
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout: float = 30):
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(
            lambda: (
                self.ready_text in self.log()[offset:]
                or self.process.poll() is not None
            ),
            timeout,
            f"{self.name} start",
        )
        if self.process.poll() is not None:
            msg = f"{self.name} exited:\n{self.log()[-3000:]}"
            raise RuntimeError(msg)
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
        """SIGKILL the process and its children: no chance to clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


class Worker(Process):
    """`celery -A project worker`, consuming the queue its environment names."""

    ready_text = " ready."

    def command(self) -> list[str]:
        return [
            str(BIN / "celery"),
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
        ]


class Beat(Process):
    """`celery -A project beat`."""

    ready_text = "beat: Starting..."

    def command(self) -> list[str]:
        schedule = self.log_path.with_suffix(".schedule")
        return [
            str(BIN / "celery"),
            "-A",
            "project",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(schedule),
            *self.args,
        ]


class Web(Process):
    """`gunicorn project.wsgi:application` on a free loopback port."""

    ready_text = "Booting worker"

    def __init__(
        self,
        log_dir: Path,
        env: dict[str, str],
        *args: str,
        origin: str = "http://127.0.0.1",
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.origin = origin  # how clients reach it, less the port
        # Links in emails lead back here, as DJANGO_PUBLIC_URL makes them in
        # production, unless the test chooses another origin.
        env = {"DJANGO_PUBLIC_URL": self.url, **env}
        super().__init__(log_dir, env, *args)

    def command(self) -> list[str]:
        return [
            str(BIN / "gunicorn"),
            "project.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "2",
            *self.args,
        ]

    def start(self, timeout: float = 30):
        super().start(timeout)
        wait_until(self._accepts, timeout, f"{self.name} accepting connections")
        return self

    def _accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    @property
    def url(self) -> str:
        return f"{self.origin}:{self.port}"

    def csrf_token(
        self, session: requests.Session, path: str, headers: dict | None = None
    ) -> str:
        """Load a form page as a browser would; the CSRF token it carries."""
        page = session.get(f"{self.url}{path}", headers=headers, timeout=30)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match, f"no CSRF token at {path}"
        return match[1]

    def submit(
        self,
        session: requests.Session,
        path: str,
        data: dict,
        headers: dict | None = None,
    ) -> requests.Response:
        """Fill in and POST the form at `path`, CSRF token included; both
        requests carry `headers` (a forged Host, say)."""
        token = self.csrf_token(session, path, headers)
        return session.post(
            f"{self.url}{path}",
            data={"csrfmiddlewaretoken": token, **data},
            headers=headers,
            allow_redirects=False,
            timeout=30,
        )


def children(pid: int) -> set[int]:
    """The ids of the live processes whose parent is `pid` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # it exited meanwhile
        # pid (comm) state ppid ...; comm may hold spaces and parentheses.
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


class Gunicorn(Web):
    """gunicorn as deploy/systemd/accounts-web@.service runs it: the shipped
    deploy/gunicorn.conf.py (GUNICORN_WORKERS workers, preloaded), --bind on
    the command line. `reload`, `terminate` and `kill` are what systemd's
    reload, stop and a crash do."""

    def command(self) -> list[str]:
        return [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "project.wsgi:application",
            *self.args,
        ]

    @property
    def worker_count(self) -> int:
        return int(self.env.get("GUNICORN_WORKERS") or os.cpu_count() or 1)

    def workers(self) -> set[int]:
        assert self.process is not None, f"{self.name} is not running"
        return children(self.process.pid)

    def reload(self, timeout: float = 40) -> None:
        """SIGHUP, as `systemctl reload` sends: returns once every worker is
        a new one and the old ones have exited."""
        assert self.process is not None, f"{self.name} is not running"
        old = self.workers()
        self.process.send_signal(signal.SIGHUP)

        def renewed() -> bool:
            workers = self.workers()
            return not workers & old and len(workers) == self.worker_count

        wait_until(renewed, timeout, f"{self.name} workers replaced")

    def terminate(self, timeout: float = 40) -> None:
        """SIGTERM to the master only, as the unit's KillMode=mixed does:
        the master stops accepting, its workers finish their requests
        (within graceful_timeout), then it exits."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout)
        self.process = None


NEXTJS = ROOT / "clients" / "nextjs"
NEXT = NEXTJS / "node_modules" / ".bin" / "next"
# The package-lock.json node_modules was installed from (its SHA-256).
NPM_STAMP = NEXTJS / "node_modules" / ".installed-from-lock"


def npm_ci() -> None:
    """`npm ci` in clients/nextjs/, only when node_modules is missing or was
    installed from another package-lock.json (./dev does the same)."""
    if shutil.which("npm") is None:
        msg = (
            "npm is missing: install Node.js 20.9 or newer (apt-get install nodejs npm)"
        )
        raise RuntimeError(msg)
    lock = hashlib.sha256((NEXTJS / "package-lock.json").read_bytes()).hexdigest()
    if NPM_STAMP.exists() and NPM_STAMP.read_text().strip() == lock:
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel", "error"],
        cwd=NEXTJS,
        check=True,
        timeout=900,
    )
    NPM_STAMP.write_text(lock)


class NextBuild:
    """`next build` of clients/nextjs/ against one service: its origin is
    compiled into the rewrites. The build goes to a folder of its own, with a
    tsconfig of its own (a build rewrites the one it reads), so a test run
    never touches the working copy's; `remove()` deletes both."""

    def __init__(self, log_dir: Path, service_origin: str) -> None:
        name = f"test-{os.getpid()}-{next(_names)}"
        self.service_origin = service_origin
        self.dist_dir = f".next-{name}"
        self.tsconfig = f"tsconfig.{name}.json"
        self.log_path = log_dir / f"next-build-{name}.log"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "ACCOUNTS_API_ORIGIN": self.service_origin,
            "NEXT_DIST_DIR": self.dist_dir,
            "NEXT_TSCONFIG_PATH": self.tsconfig,
            "NEXT_TELEMETRY_DISABLED": "1",
        }

    def build(self, timeout: float = 900) -> NextBuild:
        npm_ci()
        (NEXTJS / self.tsconfig).write_text(json.dumps({"extends": "./tsconfig.json"}))
        # The build rewrites next-env.d.ts to name its folder: put it back.
        env_types = NEXTJS / "next-env.d.ts"
        kept = env_types.read_bytes() if env_types.exists() else None
        try:
            with self.log_path.open("wb") as log:
                done = subprocess.run(
                    [str(NEXT), "build"],
                    cwd=NEXTJS,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    check=False,
                )
        finally:
            if kept is None:
                env_types.unlink(missing_ok=True)
            else:
                env_types.write_bytes(kept)
        if done.returncode != 0:
            msg = f"next build failed:\n{self.log_path.read_text()[-3000:]}"
            raise RuntimeError(msg)
        return self

    def remove(self) -> None:
        shutil.rmtree(NEXTJS / self.dist_dir, ignore_errors=True)
        for path in NEXTJS.glob(f"{Path(self.tsconfig).stem}.*"):
            path.unlink()


class NextApp(Process):
    """`next start` of a NextBuild, on a free loopback port, reached as
    http://localhost (a secure context: the refresh cookie is Secure)."""

    ready_text = "Ready in"

    def __init__(self, log_dir: Path, build: NextBuild, port: int | None = None):
        self.port = port or free_port()
        super().__init__(log_dir, build.env)

    def command(self) -> list[str]:
        return [
            str(NEXT),
            "start",
            str(NEXTJS),
            "-H",
            "127.0.0.1",
            "-p",
            str(self.port),
        ]

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def first_load_js(self, path: str) -> int:
        """Bytes of JavaScript a first visit to `path` loads, each file gzipped
        at level 9 as `next build` used to report it (module scripts only:
        modern browsers skip the noModule polyfills)."""
        html = requests.get(f"{self.url}{path}", timeout=30).text
        scripts = re.findall(
            r"<script\b([^>]*)\bsrc=\"(/_next/[^\"]+\.js)\"([^>]*)>", html
        )
        total = 0
        for src in dict.fromkeys(
            src for before, src, after in scripts if "noModule" not in before + after
        ):
            body = requests.get(f"{self.url}{src}", timeout=30).content
            total += len(gzip.compress(body, compresslevel=9))
        return total


class RedisServer:
    """A private redis-server that keeps nothing on disk, to stop and kill."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_until(self._answers(client), 10, "private redis start")
        return self

    @staticmethod
    def _answers(client: redis.Redis):
        def ping() -> bool:
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        return ping

    def kill(self) -> None:
        """SIGKILL: whatever was queued in memory is gone."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


class PostgresCluster:
    """A private PostgreSQL cluster on a free port, for tests that stop it.

    PostgreSQL refuses to run as root, so `initdb` and `pg_ctl` run as the
    postgres user, in a folder of its own under /tmp (pytest's temporary
    folders are closed to other users).
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="accounts-test-pg-"))
        self.data = self.workdir / "data"
        self.log_path = self.workdir / "postgres.log"
        self.workdir.chmod(0o755)
        shutil.chown(self.workdir, "postgres", "postgres")
        self._as_postgres(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"
        )

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> PostgresCluster:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-k {self.workdir} -c fsync=off -c full_page_writes=off"
        )
        self._as_postgres(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log_path),
            "-o",
            options,
            "-w",
            "start",
        )
        return self

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        self._as_postgres(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name
        )
        return self.url(name)

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
