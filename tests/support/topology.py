"""The production topology for tests: Debian's nginx, from the shipped
templates, in front of gunicorn instances, and clients that keep a steady
stream of signups and logins going through it while a test breaks things.

`Nginx` renders deploy/nginx/nginx.conf and accounts.conf with
deploy/render.py into a prefix folder of its own and runs
`nginx -p PREFIX -c PREFIX/nginx.conf -g 'daemon off;'`, as
deploy/systemd/accounts-nginx.service does. `drain` is docs/deploy.md's
`render_site PORT && systemctl reload accounts-nginx`.

`Traffic` runs client threads. Each flow is what a browser does: load the
form (its CSRF cookie and token), post it with Origin and Referer. Every
request is recorded with its outcome, so a test can say which failed, when,
and (through the X-Request-ID it sent, which nginx logs) where nginx sent it.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter

from deploy.render import render
from tests.support.processes import ROOT, children, free_port, wait_until

if TYPE_CHECKING:
    from collections.abc import Iterable

NGINX = "/usr/sbin/nginx"


class Nginx:
    """Debian's nginx, run from the shipped templates, in a prefix folder
    under /tmp that nginx's workers (www-data) may enter."""

    def __init__(
        self,
        log_dir: Path,
        *,
        cert: Path,
        key: Path,
        upstream_ports: Iterable[int],
        server_name: str = "localhost",
    ) -> None:
        self.log_dir = log_dir
        self.upstream_ports = list(upstream_ports)
        self.https_port = free_port()
        self.http_port = free_port()
        self.server_name = server_name
        self.cert, self.key = cert, key
        # pytest's temporary folders are closed to other users; the workers
        # write their temporary files under the prefix and read STATIC_ROOT.
        self.prefix = Path(tempfile.mkdtemp(prefix="accounts-test-nginx-"))
        self.prefix.chmod(0o755)
        self.static_root = self.prefix / "static"
        self.static_root.mkdir(mode=0o755)
        self.site_path = self.prefix / "accounts.conf"
        self.conf_path = self.prefix / "nginx.conf"
        self.process: subprocess.Popen | None = None
        self.render_site()
        self.conf_path.write_text(
            render(
                ROOT / "deploy" / "nginx" / "nginx.conf", INCLUDE_SITE=self.site_path
            ),
            encoding="utf-8",
        )

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def upstreams(self, drained: int | None = None) -> str:
        """The UPSTREAMS lines docs/deploy.md's render_site writes."""
        return "".join(
            f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s"
            f"{' down' if port == drained else ''};\n"
            for port in self.upstream_ports
        )

    def render_site(self, drained: int | None = None) -> None:
        text = render(
            ROOT / "deploy" / "nginx" / "accounts.conf",
            LISTEN_HTTPS=f"127.0.0.1:{self.https_port}",
            LISTEN_HTTP=f"127.0.0.1:{self.http_port}",
            SERVER_NAME=self.server_name,
            CERT=self.cert,
            KEY=self.key,
            STATIC_ROOT=self.static_root,
            UPSTREAMS=self.upstreams(drained),
        )
        self.site_path.write_text(text, encoding="utf-8")

    def _nginx(self, *extra: str) -> list[str]:
        return [NGINX, "-p", f"{self.prefix}/", "-c", str(self.conf_path), *extra]

    def test_config(self) -> None:
        """`nginx -t`, as the unit runs before a start or a reload."""
        result = subprocess.run(
            self._nginx("-t", "-q"),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, result.stderr

    def start(self, timeout: float = 20) -> Nginx:
        self.test_config()
        with (self.log_dir / f"nginx-{self.https_port}.log").open("ab") as log:
            self.process = subprocess.Popen(
                self._nginx("-g", "daemon off;"),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(
            lambda: self._answers() or self.process.poll() is not None,
            timeout,
            "nginx start",
        )
        assert self.process.poll() is None, f"nginx exited:\n{self.error_log()}"
        return self

    def _answers(self) -> bool:
        try:
            requests.get(f"{self.http_url}/", allow_redirects=False, timeout=2)
        except requests.ConnectionError:
            return False
        return bool(self.workers())

    def workers(self) -> set[int]:
        assert self.process is not None, "nginx is not running"
        return children(self.process.pid)

    def reload(self, timeout: float = 40) -> None:
        """`systemctl reload accounts-nginx`: test the files, then SIGHUP.

        Returns once the workers of the old configuration have exited. They
        finish every request they hold first, so from then on no request is
        on its way to an instance the new configuration drains."""
        self.test_config()
        old = self.workers()
        assert self.process is not None
        self.process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: bool(self.workers()) and not self.workers() & old,
            timeout,
            "nginx workers of the old configuration gone",
        )

    def drain(self, port: int | None) -> None:
        """docs/deploy.md's `render_site PORT && systemctl reload
        accounts-nginx`: mark `port` down (None: none)."""
        self.render_site(drained=port)
        self.reload()

    def access_log(self) -> list[dict[str, Any]]:
        """nginx's access log (one JSON object a line, nginx.conf's format)."""
        text = (self.prefix / "access.log").read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, timeout: float = 20) -> None:
        """SIGQUIT, the unit's KillSignal: a graceful stop. Keeps the logs and
        the rendered files in the log folder and removes the prefix."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        for name in ("access.log", "error.log", "nginx.conf", "accounts.conf"):
            source = self.prefix / name
            if source.exists():
                shutil.copy(source, self.log_dir / f"nginx-{self.https_port}-{name}")
        shutil.rmtree(self.prefix, ignore_errors=True)


class SourceAddress(HTTPAdapter):
    """Connections from one loopback address (127.0.0.0/8 is all loopback):
    many clients to nginx's eyes, each with rate limits of its own."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


# How each request ended.
OK = "ok"  # the answer the flow expects
UNAVAILABLE = "unavailable"  # our short 503 page or JSON, with Retry-After
FAILED = "failed"  # anything else: an error, a 502, a timeout, a wrong page


@dataclass
class Attempt:
    """One request a client sent, and how it ended."""

    phase: str
    client: int
    method: str
    path: str
    request_id: str
    started: float  # time.monotonic()
    ended: float = 0.0
    status: int | None = None
    outcome: str = FAILED
    detail: str = ""

    def describe(self) -> str:
        return (
            f"[{self.phase}] client {self.client} {self.method} {self.path} "
            f"-> {self.status or '-'} {self.outcome} {self.detail} "
            f"(request id {self.request_id})"
        )


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def unavailable_answer(response: requests.Response) -> str | None:
    """What is wrong with `response` as our 503 answer; None if nothing."""
    body = response.text
    problems = []
    if response.status_code != 503:
        problems.append(f"status {response.status_code}")
    if not response.headers.get("Retry-After", "").isdigit():
        problems.append("no Retry-After")
    if "Traceback" in body or 'File "' in body:
        problems.append("a traceback in the body")
    if "<center>nginx</center>" in body:
        problems.append("nginx's own error page")
    if len(body) > 10_000:
        problems.append(f"a long body ({len(body)} characters)")
    return ", ".join(problems) or None


@dataclass
class Traffic:
    """Client threads signing up and logging in through `origin` until
    stopped. Even flows sign up a new address, odd ones log in as one of
    `logins` (verified accounts). Each flow is a new visitor: a new session,
    from one of the client's own loopback addresses."""

    origin: str
    verify: str
    logins: list[str]
    password: str
    clients: int = 4
    pause: float = 0.05  # between flows, per client
    attempts: list[Attempt] = field(default_factory=list)
    # Addresses that got the success page, and the phase they signed up in.
    signups: dict[str, str] = field(default_factory=dict)
    tried: list[str] = field(default_factory=list)  # every address tried
    phase: str = "start"
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Traffic:
        for client in range(self.clients):
            thread = threading.Thread(
                target=self._run, args=(client,), name=f"client-{client}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)
            assert not thread.is_alive(), f"{thread.name} did not stop"

    def in_phase(self, phase: str) -> list[Attempt]:
        with self._lock:
            return [a for a in self.attempts if a.phase == phase]

    def since(self, moment: float) -> list[Attempt]:
        with self._lock:
            return [a for a in self.attempts if a.started >= moment]

    def signed_up(self, phase: str | None = None) -> list[str]:
        with self._lock:
            return [a for a, p in self.signups.items() if phase in (None, p)]

    def save(self, path: Path) -> None:
        """Every request, one JSON object a line, times from the first one."""
        with self._lock:
            attempts = list(self.attempts)
        first = min((a.started for a in attempts), default=0.0)
        lines = [
            json.dumps(
                asdict(a) | {"started": a.started - first, "ended": a.ended - first}
            )
            for a in attempts
        ]
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")

    def summary(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = {}
        with self._lock:
            for attempt in self.attempts:
                counts = table.setdefault(attempt.phase, Counter())
                counts["requests"] += 1
                counts[attempt.outcome] += 1
            for phase in self.signups.values():
                table.setdefault(phase, Counter())["signups"] += 1
        return table

    # The clients

    def _run(self, client: int) -> None:
        # 32 addresses a client: 127.0.0.(10 + 32 c) and on. One /24, so
        # logins stay one device (no new sign-in alerts); per address the
        # signup and login limits (20 and 30 a minute) are never reached.
        addresses = [f"127.0.0.{10 + 32 * client + n}" for n in range(32)]
        flows = 0
        while not self._stop.is_set():
            session = requests.Session()
            session.mount("https://", SourceAddress(random.choice(addresses)))
            # Nothing from the environment: no proxy, no other CA bundle
            # (REQUESTS_CA_BUNDLE would win over session.verify).
            session.trust_env = False
            session.verify = self.verify
            # A new connection each request: a kept-alive one may be closed
            # by nginx (a reload ends idle connections) just as a request
            # goes out, which browsers retry and requests does not.
            session.headers["Connection"] = "close"
            try:
                if flows % 2 == 0:
                    self._signup(client, session)
                else:
                    self._login(client, session)
            finally:
                session.close()
            flows += 1
            self._stop.wait(self.pause)

    def _request(
        self,
        client: int,
        session: requests.Session,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
    ) -> tuple[Attempt, requests.Response | None]:
        attempt = Attempt(
            self.phase, client, method, path, uuid.uuid4().hex, time.monotonic()
        )
        headers = {"X-Request-ID": attempt.request_id}
        if method == "POST":
            headers |= {"Origin": self.origin, "Referer": f"{self.origin}{path}"}
        response = None
        try:
            response = session.request(
                method,
                f"{self.origin}{path}",
                data=data,
                headers=headers,
                allow_redirects=False,
                timeout=30,
            )
            attempt.status = response.status_code
        except requests.RequestException as exc:
            attempt.detail = f"{type(exc).__name__}: {exc}"
        attempt.ended = time.monotonic()
        with self._lock:
            self.attempts.append(attempt)
        return attempt, response

    def _form(self, client: int, session: requests.Session, path: str) -> str | None:
        """GET a form page; its CSRF token, or None if it failed."""
        attempt, response = self._request(client, session, "GET", path)
        if response is None:
            return None
        match = TOKEN.search(response.text)
        if response.status_code == 200 and match:
            attempt.outcome = OK
            return match[1]
        self._judge_failure(attempt, response)
        return None

    def _judge_failure(self, attempt: Attempt, response: requests.Response) -> None:
        problems = unavailable_answer(response)
        if problems is None:
            attempt.outcome = UNAVAILABLE
        else:
            attempt.detail = f"{problems}: {response.text[:300]!r}"

    def _post(
        self,
        client: int,
        session: requests.Session,
        path: str,
        data: dict[str, str],
        expect_location: str,
    ) -> bool:
        token = self._form(client, session, path)
        if token is None:
            return False
        attempt, response = self._request(
            client, session, "POST", path, {"csrfmiddlewaretoken": token, **data}
        )
        if response is None:
            return False
        location = response.headers.get("Location", "")
        if response.status_code == 302 and location == expect_location:
            attempt.outcome = OK
            return True
        if response.status_code == 302:
            attempt.detail = f"redirected to {location}"
        else:
            self._judge_failure(attempt, response)
        return False

    def _signup(self, client: int, session: requests.Session) -> None:
        address = f"signup-{uuid.uuid4().hex[:12]}@example.com"
        phase = self.phase
        with self._lock:
            self.tried.append(address)
        data = {"email": address, "password1": self.password}
        data["password2"] = self.password
        path, done = "/accounts/signup/", "/accounts/confirm-email/"
        if self._post(client, session, path, data, done):
            with self._lock:
                self.signups[address] = phase

    def _login(self, client: int, session: requests.Session) -> None:
        data = {"login": random.choice(self.logins), "password": self.password}
        self._post(client, session, "/accounts/login/", data, "/")
