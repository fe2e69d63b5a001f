"""One instance of the service signs people in through another: the second
(B, on https://localhost, its own database) is configured with the generic
OpenID Connect provider pointing at the first (A, on https://127.0.0.1), as
an operator would configure any provider. A real browser goes from B's
button, through A's sign-in (and consent) pages, back to B, signed in, in
English and in Korean, with no console error: a Content-Security-Policy
that stopped a redirect would be one.

Both speak HTTPS with the tests' own certificate; B trusts it through
REQUESTS_CA_BUNDLE, as an operator with a private authority would.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from typing import TYPE_CHECKING, NamedTuple

import pytest
from allauth.idp.oidc.models import Client as OIDCClient
from django.contrib.auth.hashers import make_password
from playwright.sync_api import expect

from identity.management.commands.oidc_client import GRANT_TYPES, SCOPES
from identity.secrets import ALGORITHM
from tests.support.browser import Visit
from tests.support.factories import PASSWORD, UserFactory
from tests.support.processes import ROOT, Web, database_url, free_port, service_env

if TYPE_CHECKING:
    from collections.abc import Iterator

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.django_db(transaction=True)

BUTTON = {"en": "Continue with Acme ID", "ko": "Acme ID 계정으로 시작하기"}
ALLOW = {"en": "Allow", "ko": "동의하고 계속하기"}


def psql(statement: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", statement],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def instance_a(artifacts, certificate, django_db_setup, django_db_blocker):
    """The provider: the tests' own instance, over TLS."""
    cert, key = certificate
    server = Web(
        artifacts,
        service_env(),
        "--certfile",
        str(cert),
        "--keyfile",
        str(key),
        origin="https://127.0.0.1",
    ).start()
    yield server
    server.stop()


class Registration(NamedTuple):
    """B's registration at A: what B's operator put in its environment."""

    client_id: str
    secret: str
    port: int  # B's

    @property
    def redirect_uri(self) -> str:
        return f"https://localhost:{self.port}/accounts/oidc/oidc/login/callback/"


@pytest.fixture(scope="module")
def registration() -> Registration:
    return Registration(secrets.token_hex(16), secrets.token_urlsafe(32), free_port())


def register_b(registration: Registration, *, first_party: bool) -> None:
    """B as an app of A's, as `manage.py oidc_client add` registers one, with
    the id and secret B was configured with (each test's database starts
    empty)."""
    client = OIDCClient(
        id=registration.client_id,
        name="Instance B",
        type=OIDCClient.Type.CONFIDENTIAL,
        skip_consent=first_party,
        secret=make_password(registration.secret, hasher=ALGORITHM),
    )
    client.set_redirect_uris([registration.redirect_uri])
    client.set_scopes(SCOPES)
    client.set_grant_types(GRANT_TYPES)
    client.set_response_types(["code"])
    client.save()


@pytest.fixture(scope="module")
def instance_b(artifacts, certificate, instance_a, registration) -> Iterator[Web]:
    """The relying party: a second instance with a database of its own."""
    cert, key = certificate
    name = f"{database_url().rsplit('/', 1)[1]}_b"
    psql(f"DROP DATABASE IF EXISTS {name}")
    psql(f"CREATE DATABASE {name}")
    redis = service_env()["REDIS_URL"].rsplit("/", 1)[0]
    env = service_env(
        DATABASE_URL=f"{database_url().rsplit('/', 1)[0]}/{name}",
        REDIS_URL=f"{redis}/2",
        CELERY_BROKER_URL=f"{redis}/3",
        # Nothing consumes B's mail: it waits in B's own outbox.
        CELERY_TASK_DEFAULT_QUEUE=f"instance-b-{secrets.token_hex(4)}",
        OIDC_RP_ISSUER=instance_a.url,
        OIDC_RP_CLIENT_ID=registration.client_id,
        OIDC_RP_CLIENT_SECRET=registration.secret,
        OIDC_RP_NAME="Acme ID",
        OIDC_RP_TRUST_EMAIL="true",
        REQUESTS_CA_BUNDLE=str(cert),
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    server = Web(
        artifacts,
        env,
        "--certfile",
        str(cert),
        "--keyfile",
        str(key),
        origin="https://localhost",
        port=registration.port,
    ).start()
    yield server
    server.stop()
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def visit_b(browser, instance_b):
    tabs = []

    def open_tab(language: str):
        tabs.append(
            Visit(
                browser, instance_b.url, locale={"en": "en-US", "ko": "ko-KR"}[language]
            )
        )
        return tabs[-1]

    yield open_tab
    for tab in tabs:
        tab.close()


@pytest.fixture(
    params=[("en", False), ("ko", True)],
    ids=["english-with-consent", "korean-first-party"],
)
def case(request, registration) -> tuple[str, bool]:
    """The language the browser asks for, and whether B is first-party at A
    (no consent page: the sign-in form itself leads back to B)."""
    language, first_party = request.param
    register_b(registration, first_party=first_party)
    return language, first_party


def test_a_person_of_instance_a_signs_in_to_instance_b_in_a_browser(
    instance_a, instance_b, visit_b, artifacts, case
):
    language, first_party = case
    person = UserFactory.create(email=f"traveller-{language}@example.com")
    tab = visit_b(language)
    page = tab.page

    page.goto("/accounts/login/")
    page.get_by_role("button", name=BUTTON[language]).click()
    # At A: its own sign-in page, in the same language.
    expect(page).to_have_url(
        re.compile(rf"^{re.escape(instance_a.url)}/accounts/login/")
    )
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator('input[name="login"]').fill(person.email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form[action^="/accounts/login/"] button[type="submit"]').click()
    if not first_party:
        expect(page).to_have_url(
            re.compile(rf"^{re.escape(instance_a.url)}/identity/o/authorize")
        )
        tab.screenshot(artifacts, f"oidc-consent-{language}")
        page.get_by_role("button", name=ALLOW[language]).click()

    # Back at B, signed in as the same person, whose address A verified.
    expect(page).to_have_url(f"{instance_b.url}/")
    expect(page.get_by_text(person.email, exact=True)).to_be_visible()
    tab.screenshot(artifacts, f"oidc-signed-in-at-b-{language}")
