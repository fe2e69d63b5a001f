"""`manage.py createsuperuser`, both ways, makes a superuser who can log in
through allauth's page, and whom the admin asks to set up a second factor."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.support.processes import ROOT, service_env
from users.models import User

PASSWORD = "Root-Password-for-tests-1"


def can_log_in_and_is_sent_to_set_up_a_second_factor(email: str) -> None:
    """A new superuser signs in on the site's page; the admin asks for a
    second factor first (README: what a new superuser does next)."""
    client = Client()
    web = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert web.status_code == HTTPStatus.FOUND
    assert web["Location"] == reverse("home")
    admin = client.get("/admin/", follow=True)
    assert admin.redirect_chain[-1][0] == reverse("mfa_index")


@pytest.mark.django_db
def test_noinput_createsuperuser_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Root@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command("createsuperuser", "--noinput")

    user = User.objects.get()
    assert (user.email, user.is_staff, user.is_superuser) == (
        "root@example.com",
        True,
        True,
    )
    assert EmailAddress.objects.get(user=user).verified
    can_log_in_and_is_sent_to_set_up_a_second_factor("root@example.com")


def run_in_terminal(args: list[str], answers: list[tuple[str, str]], env: dict) -> str:
    """Run a command on a pseudo-terminal, answering each prompt as it appears."""
    fd, terminal = pty.openpty()
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdin=terminal, stdout=terminal, stderr=terminal
    )
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + 60
    pending = list(answers)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if pending and pending[0][0].encode() in output.rsplit(b"\n", 1)[-1]:
            os.write(fd, pending.pop(0)[1].encode() + b"\n")
    process.wait(10)
    os.close(fd)
    return output.decode(errors="replace")


@pytest.mark.django_db(transaction=True)
def test_interactive_createsuperuser_asks_for_email_and_password_twice():
    output = run_in_terminal(
        [sys.executable, "manage.py", "createsuperuser"],
        [
            ("Email address:", "Chief@Example.com"),
            ("Password:", PASSWORD),
            ("Password (again):", PASSWORD),
        ],
        service_env(),
    )

    assert "Superuser created successfully." in output, output
    assert "Username" not in output
    user = User.objects.get()
    assert user.email == "chief@example.com"
    assert user.is_superuser
    can_log_in_and_is_sent_to_set_up_a_second_factor("chief@example.com")
