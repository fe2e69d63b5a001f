"""Running it as operators do: metrics summed across gunicorn's workers,
JSON logs that follow an email from its request to the worker and hold no
secret, brokers that cannot be reached, the deploy check, start-up errors
in one line, and `./dev run` refusing what it cannot do."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from http import HTTPStatus
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.factories import PASSWORD
from tests.support.flows import NEW_PASSWORD, link_in
from tests.support.processes import (
    BIN,
    ROOT,
    Beat,
    Web,
    Worker,
    free_port,
    service_env,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)

GUNICORN_CONF = str(ROOT / "deploy" / "gunicorn.conf.py")


def closed_redis() -> str:
    return f"redis://:hunter2@127.0.0.1:{free_port()}/0"


def samples_of(web: Web) -> dict[str, float]:
    response = requests.get(f"{web.url}/metrics", timeout=10)
    assert response.status_code == HTTPStatus.OK
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


@pytest.fixture
def deployed(artifacts, tmp_path):
    """gunicorn with the shipped configuration: two workers, multiprocess
    metrics in a folder of this test's."""
    web = Web(
        artifacts,
        service_env(
            GUNICORN_WORKERS="2", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics")
        ),
        "-c",
        GUNICORN_CONF,
    ).start()
    yield web
    web.stop()


def test_metrics_count_every_request_whichever_worker_served_it(deployed):
    health = (
        "accounts_http_request_duration_seconds_count"
        "{method=GET,status=200,view=health}"
    )
    before = samples_of(deployed).get(health, 0)
    for _ in range(40):
        # A new connection each time, so that both workers take some.
        with requests.Session() as session:
            response = session.get(f"{deployed.url}/healthz", timeout=10)
        assert response.status_code == HTTPStatus.OK

    assert samples_of(deployed)[health] == before + 40
    assert "accounts_outbox_pending{}" in samples_of(deployed)


def test_from_another_address_metrics_are_refused(artifacts, tmp_path):
    web = Web(
        artifacts,
        service_env(
            METRICS_ALLOWED_IPS="10.9.9.9", PROMETHEUS_MULTIPROC_DIR=str(tmp_path)
        ),
        "-c",
        GUNICORN_CONF,
    ).start()
    try:
        response = requests.get(f"{web.url}/metrics", timeout=10)
    finally:
        web.stop()

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "accounts_" not in response.text


# --- JSON logs ----------------------------------------------------------------


def json_lines(text: str) -> list[dict]:
    """Every line of a process's output as JSON; fails on any other line."""
    records = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line[:300]}")
    return records


@pytest.fixture
def json_service(artifacts, tmp_path, smtp_server, mailbox, no_session_worker):
    """Web (the shipped gunicorn configuration), a worker and beat, all
    logging JSON at DEBUG."""
    env = service_env(
        DJANGO_LOG_FORMAT="json",
        DJANGO_LOG_LEVEL="DEBUG",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        GUNICORN_WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    web = Web(artifacts, env, "-c", GUNICORN_CONF).start()
    worker = Worker(artifacts, env, "--concurrency", "1").start()
    beat = Beat(artifacts, env).start()
    yield web, worker, beat
    for process in (beat, worker, web):
        process.stop()


def test_every_process_logs_json_and_an_email_keeps_its_request_id(
    json_service, mailbox
):
    web, worker, beat = json_service
    secrets = {PASSWORD, NEW_PASSWORD}
    browser = requests.Session()

    signed_up = web.submit(
        browser,
        "/accounts/signup/",
        {"email": "traced@example.com", "password1": PASSWORD, "password2": PASSWORD},
        {"X-Request-ID": "signup-7f3a"},
    )
    assert signed_up.status_code == HTTPStatus.FOUND
    assert signed_up.headers["X-Request-ID"] == "signup-7f3a"
    (verification,) = mailbox.wait_for(to="traced@example.com")
    confirm = link_in(verification.text, "/accounts/confirm-email/")
    secrets.add(confirm.rstrip("/").rsplit("/", 1)[-1])
    web.submit(browser, confirm.removeprefix(web.url), {})
    browser.post(f"{web.url}/accounts/logout/", timeout=30)
    web.submit(browser, "/accounts/password/reset/", {"email": "traced@example.com"})
    reset_mail = mailbox.wait_for(2, to="traced@example.com")[-1]
    reset = link_in(reset_mail.text, "/accounts/password/reset/key/")
    secrets.add(reset.rstrip("/").rsplit("/", 1)[-1])
    new_form = browser.get(reset, allow_redirects=False, timeout=30)
    web.submit(
        browser,
        new_form.headers["Location"],
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    login = web.submit(
        browser,
        "/accounts/login/",
        {"login": "traced@example.com", "password": NEW_PASSWORD},
    )
    assert login.status_code == HTTPStatus.FOUND
    secrets.add(browser.cookies["sessionid"])
    app = requests.post(
        f"{web.url}/_allauth/app/v1/auth/login",
        json={"email": "traced@example.com", "password": NEW_PASSWORD},
        timeout=30,
    ).json()["meta"]
    secrets.update({app["access_token"], app["refresh_token"], app["session_token"]})
    # Give the worker a moment to log the last send.
    wait_until(lambda: "password_reset" in worker.log(), 20, "the reset logged")
    time.sleep(0.5)

    lines = {process.name: json_lines(process.log()) for process in (web, worker, beat)}

    for records in lines.values():
        assert records
        for record in records:
            assert {"time", "level", "logger", "message", "request_id"} <= set(record)
    sent = [
        r
        for r in lines[worker.name]
        if r["message"].startswith("Sent verification email")
    ]
    assert [r["request_id"] for r in sent] == ["signup-7f3a"]
    everything = "\n".join(process.log() for process in (web, worker, beat))
    for secret in secrets:
        assert secret not in everything


# --- Brokers that cannot be reached -----------------------------------------------


@pytest.mark.parametrize("process", [Worker, Beat])
def test_without_its_broker_a_process_names_it_at_every_attempt(artifacts, process):
    broker = closed_redis()
    running = process(artifacts, service_env(CELERY_BROKER_URL=broker))
    running.ready_text = ":**@"  # the broker's URL, its password masked
    running.start(timeout=30)
    try:
        wait_until(
            lambda: len(re.findall(r"ERROR.*[Cc]annot connect", running.log())) >= 2,
            30,
            "two failed attempts logged",
        )
    finally:
        running.stop()

    log = running.log()
    port = broker.rsplit(":", 1)[1].split("/")[0]
    assert f"redis://:**@127.0.0.1:{port}/0" in log
    assert "hunter2" not in log


def test_the_deploy_check_names_an_unreachable_broker_and_database():
    env = service_env(
        CELERY_BROKER_URL=closed_redis(),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/nothing",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "ops.E001" in result.stderr
    assert "ops.E003" in result.stderr
    assert "DATABASE_URL" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


# --- Start-up errors ------------------------------------------------------------------

ENTRY_POINTS = {
    "manage.py migrate": [sys.executable, "manage.py", "migrate"],
    "gunicorn": [
        str(BIN / "gunicorn"),
        "-c",
        GUNICORN_CONF,
        "project.wsgi:application",
    ],
    "celery worker": [str(BIN / "celery"), "-A", "project", "worker"],
    "celery beat": [str(BIN / "celery"), "-A", "project", "beat"],
}
BAD_SETTINGS = [
    ("DATABASE_URL", "mysql://root:hunter2@db/accounts"),
    ("REDIS_URL", "redis//127.0.0.1"),
    ("EMAIL_URL", "smtp://mail.example.com:twenty-five"),
    ("HEADLESS_FRONTEND_URLS", "{not json"),
    ("JWT_PRIVATE_KEY", "/no/such/key.pem"),
    ("DJANGO_CONN_MAX_AGE", "forever"),
]


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS)
def test_a_bad_setting_stops_every_entry_point_in_one_line(entry_point, name, value):
    production = {
        "DJANGO_SETTINGS_MODULE": "project.settings.production",
        "DJANGO_SECRET_KEY": "k" * 10
        + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
        "DJANGO_ALLOWED_HOSTS": "accounts.example.com",
        "EMAIL_URL": "smtp://127.0.0.1:1025",
        "DEFAULT_FROM_EMAIL": "accounts@example.com",
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
    }
    env = service_env(**{**production, name: value})

    result = subprocess.run(
        ENTRY_POINTS[entry_point],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    ours = [
        line for line in result.stderr.splitlines() if line.startswith("Cannot start:")
    ]
    assert len(ours) == 1, result.stderr[-2000:]
    assert ours[0].startswith(f"Cannot start: {name}: ")
    assert "For example:" in ours[0]
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


# --- ./dev run ------------------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path):
    """A fresh clone of the repository (what is committed), with the real
    .venv's packages: what a newcomer has after `git clone`, less the
    download. The .venv's own files are links, its install stamps the
    clone's, so ./dev writes nothing into the real one."""
    copy = tmp_path / "checkout"
    subprocess.run(
        ["git", "clone", "--quiet", str(ROOT), str(copy)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    (copy / ".venv").mkdir()
    for entry in (ROOT / ".venv").iterdir():
        if not entry.name.startswith(".installed-"):
            (copy / ".venv" / entry.name).symlink_to(entry)
    return copy


def test_dev_run_refuses_a_taken_port(checkout):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            ["bash", "dev", "run"],
            cwd=checkout,
            env={"PATH": "/usr/bin:/bin", "PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    assert result.returncode == 1
    assert f"port {port} is taken" in result.stderr
    assert not (checkout / "var" / "db.sqlite3").exists()


def test_dev_run_refuses_a_second_copy_on_the_same_var(checkout):
    (checkout / "var").mkdir()
    holder = subprocess.Popen(
        ["flock", str(checkout / "var" / "dev-run.lock"), "sleep", "30"]
    )
    try:
        wait_until(
            lambda: (
                subprocess.run(
                    ["flock", "-n", str(checkout / "var" / "dev-run.lock"), "true"],
                    check=False,
                ).returncode
                != 0
            ),
            10,
            "the lock held",
        )
        result = subprocess.run(
            ["bash", "dev", "run"],
            cwd=checkout,
            env={"PATH": "/usr/bin:/bin", "PORT": str(free_port())},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        holder.kill()
        holder.wait()

    assert result.returncode == 1
    assert "another ./dev run is already using" in result.stderr


def running_in(folder: Path) -> list[str]:
    """The processes whose working directory is `folder` or inside it."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cwd = (proc / "cwd").resolve()
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if cwd == folder or folder in cwd.parents:
            found.append(f"{proc.name}: {command}")
    return found


def test_a_first_run_from_a_fresh_clone_serves_the_site_and_stops_cleanly(
    checkout, tmp_path
):
    shutil.copy(checkout / ".env.dev.example", checkout / ".env")
    # manage.py and ./dev run read the same .env: here, a database of its own.
    database = tmp_path / "first-run.sqlite3"
    with (checkout / ".env").open("a") as env:
        env.write(f"DATABASE_URL=sqlite:///{database}\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "dev-run.log"
    env = {"PATH": "/usr/bin:/bin", "PORT": str(port), "HOME": str(tmp_path)}
    with log.open("wb") as output:
        run = subprocess.Popen(
            ["bash", "dev", "run"],
            cwd=checkout,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's process group, for Ctrl-C
        )

    def home_answers() -> bool:
        assert run.poll() is None, log.read_text()
        try:
            return requests.get(f"{base}/", timeout=5).ok
        except requests.ConnectionError:
            return False

    try:
        wait_until(home_answers, 240, "the home page")
        home = requests.get(f"{base}/", timeout=10)
        assert "Accounts (dev)" in home.text  # DJANGO_SITE_NAME from .env
        assert '<a href="/dev/inbox/">dev inbox</a>' in home.text
        superuser = subprocess.run(
            [".venv/bin/python", "manage.py", "createsuperuser", "--no-input"],
            cwd=checkout,
            env={
                **env,
                "DJANGO_SUPERUSER_EMAIL": "first@example.com",
                "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert superuser.returncode == 0, superuser.stderr
        browser = requests.Session()
        web = Web(tmp_path, {}, port=port)
        signed_in = web.submit(
            browser,
            "/accounts/login/",
            {"login": "first@example.com", "password": PASSWORD},
        )
        assert signed_in.status_code == HTTPStatus.FOUND, signed_in.text[-2000:]
        assert browser.get(f"{base}/admin/", timeout=10).ok
    finally:
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
        run.wait(60)

    assert database.exists()
    wait_until(lambda: not running_in(checkout), 20, "every process gone")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing listens
