"""Schemathesis against the served specification, on a real gunicorn server.

Every operation and method, with data both valid and invalid for the schema,
anonymous and signed in: no response may be a 5xx, and every response must
match the published contract, except for the short list of mismatches that
are allauth's own (KNOWN_MISMATCHES).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import pytest
import requests

from tests.support.factories import (
    PASSWORD,
    UserFactory,
    fresh_totp_code,
    give_recovery_codes,
    give_security_key,
    give_totp,
)
from tests.support.processes import BIN, Web, service_env
from tests.support.sign_in_providers import ENVIRONMENT as PROVIDERS

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.django_db(transaction=True)

MAX_EXAMPLES = 25
SEED = 20261126
# Checks left out, and why:
EXCLUDED_CHECKS = {
    # The schema cannot say which passwords are strong enough, which keys are
    # valid or which addresses are taken; valid-looking data is refused.
    "positive_data_acceptance",
    # Stateful checks that need resource links the spec does not declare.
    "use_after_free",
    "ensure_resource_availability",
    "object_level_authorization",
    # Most operations serve anonymous visitors too.
    "ignored_auth",
}
# (check code, words of its report) for mismatches in allauth's own
# responses, with the reason each is accepted.
KNOWN_MISMATCHES = [
    (
        # allauth checks the X-Session-Token before the body: with a stale
        # token, a body missing its fields is answered 410, not 400.
        "ST201",
        ("[410] Gone",),
    ),
]


def unexpected_failures(junit: Path) -> list[str]:
    found = []
    # The report is schemathesis's own file, written just now.
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314
        for failure in case.iter("failure"):
            # One report may hold several failures, each starting "- STnnn".
            for report in re.split(r"\n(?=- ST\d{3} )", failure.text or ""):
                code = re.match(r"- (ST\d{3})", report)
                if not code:
                    continue
                if not any(
                    code[1] == known and all(words in report for words in phrases)
                    for known, phrases in KNOWN_MISMATCHES
                ):
                    found.append(f"{case.get('name')}: {report.strip()[:1500]}")
    return found


@pytest.fixture
def server(artifacts, no_session_worker):
    # Every sign-in provider configured, so their API endpoints are tested
    # with providers behind them; the generic one's issuer is a closed
    # loopback port, and Google's servers are one too (project/settings/test.py):
    # nothing here reaches the internet.
    web = Web(
        artifacts,
        service_env(**PROVIDERS, OIDC_RP_ISSUER="http://127.0.0.1:9"),
    ).start()
    yield web
    web.stop()


def schemathesis(server: Web, reports: Path, *options: str) -> dict:
    # schemathesis keeps a cache of past crashes in its working folder; start
    # each run from nothing, so runs are alike.
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir(parents=True)
    result = subprocess.run(
        [
            str(BIN / "st"),
            "run",
            f"{server.url}/_allauth/openapi.json",
            "--checks",
            "all",
            "--exclude-checks",
            ",".join(sorted(EXCLUDED_CHECKS)),
            "--mode",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--generation-database",
            "none",
            "--workers",
            "1",
            "--no-color",
            "--report",
            "junit,json",
            "--report-junit-path",
            str(reports / "junit.xml"),
            "--report-json-path",
            str(reports / "report.json"),
            *options,
        ],
        cwd=reports,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    (reports / "output.txt").write_text(result.stdout + result.stderr)
    summary = json.loads((reports / "report.json").read_text())
    assert summary["operations"]["tested"] == summary["operations"]["selected"]
    assert not summary["errors"], result.stdout[-3000:]
    assert unexpected_failures(reports / "junit.xml") == []
    return summary


def test_no_server_errors_and_no_contract_breaks_anonymously(server, artifacts):
    summary = schemathesis(server, artifacts / "schemathesis" / "anonymous")
    assert summary["test_cases"]["generated"] >= MAX_EXAMPLES


def test_no_server_errors_and_no_contract_breaks_signed_in(server, artifacts):
    user = UserFactory.create()
    login = requests.post(
        f"{server.url}/_allauth/app/v1/auth/login",
        json={"email": user.email, "password": PASSWORD},
        timeout=30,
    ).json()
    meta = login["meta"]

    summary = schemathesis(
        server,
        artifacts / "schemathesis" / "signed-in",
        "--header",
        f"X-Session-Token: {meta['session_token']}",
        "--header",
        f"Authorization: Bearer {meta['access_token']}",
        # Signing out or changing the password would end the session half way
        # through; the anonymous run covers those operations.
        "--exclude-path-regex",
        r"/auth/session$|/password/change$",
    )
    assert summary["test_cases"]["generated"] >= MAX_EXAMPLES


# The second-factor operations: factors, recovery codes, keys, the 2FA steps
# and reauthentication (ours by mailed code too).
MFA_PATHS = r"/authenticators|/2fa/|/webauthn/|/reauthenticate"


def login_with_the_apps_code(server: Web, email: str, secret: str) -> dict:
    """The password, then the app's code, over the app client: the meta of
    the signed-in answer (session token, access token)."""
    api = f"{server.url}/_allauth/app/v1"
    first = requests.post(
        f"{api}/auth/login", json={"email": email, "password": PASSWORD}, timeout=30
    ).json()
    token = {"X-Session-Token": first["meta"]["session_token"]}
    done = requests.post(
        f"{api}/auth/2fa/authenticate",
        json={"code": fresh_totp_code(secret)},
        headers=token,
        timeout=30,
    ).json()
    assert done["status"] == 200, done
    return done["meta"]


def test_no_server_errors_with_every_kind_of_factor(server, artifacts):
    """Signed in with the password and the app's code, freshly reauthenticated,
    with recovery codes and a security key besides: the factor operations go
    past their checks and change real factors."""
    user = UserFactory.create()
    secret = give_totp(user)
    give_recovery_codes(user)
    give_security_key(user, "Laptop", rp_id="127.0.0.1")
    meta = login_with_the_apps_code(server, user.email, secret)
    bearer = {"Authorization": f"Bearer {meta['access_token']}"}
    reauthenticated = requests.post(
        f"{server.url}/_allauth/app/v1/auth/reauthenticate",
        json={"password": PASSWORD},
        headers=bearer,
        timeout=30,
    )
    assert reauthenticated.status_code == 200

    summary = schemathesis(
        server,
        artifacts / "schemathesis" / "second-factors",
        "--header",
        f"X-Session-Token: {meta['session_token']}",
        "--header",
        f"Authorization: {bearer['Authorization']}",
        "--include-path-regex",
        MFA_PATHS,
    )
    assert summary["test_cases"]["generated"] >= MAX_EXAMPLES


def test_no_server_errors_between_the_password_and_the_code(server, artifacts):
    """After the password, before the second factor: the pending 2FA step's
    operations, with its session token."""
    user = UserFactory.create()
    give_totp(user)
    give_recovery_codes(user)
    first = requests.post(
        f"{server.url}/_allauth/app/v1/auth/login",
        json={"email": user.email, "password": PASSWORD},
        timeout=30,
    ).json()
    assert [f["id"] for f in first["data"]["flows"] if f.get("is_pending")] == [
        "mfa_authenticate"
    ]

    summary = schemathesis(
        server,
        artifacts / "schemathesis" / "pending-second-factor",
        "--header",
        f"X-Session-Token: {first['meta']['session_token']}",
        "--include-path-regex",
        r"/auth/(2fa|webauthn)/",
    )
    assert summary["test_cases"]["generated"] >= MAX_EXAMPLES
