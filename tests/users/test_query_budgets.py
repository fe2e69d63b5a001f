"""SQL budgets of the busiest flows, counted on PostgreSQL: every statement
but BEGIN, COMMIT, SAVEPOINT and RELEASE. Going over a budget fails with
the list of statements."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.support.api import APP, bearer, call, login, tokens_of
from tests.support.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NOT_COUNTED = re.compile(
    r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b",
    re.I,
)


class Statements(CaptureQueriesContext):
    @property
    def counted(self) -> list[str]:
        return [
            q["sql"] for q in self.captured_queries if not NOT_COUNTED.match(q["sql"])
        ]


def within(budget: int, statements: Statements) -> None:
    counted = statements.counted
    listing = "\n".join(f"{n:3}. {sql[:300]}" for n, sql in enumerate(counted, 1))
    assert len(counted) <= budget, (
        f"{len(counted)} statements, budget {budget}:\n{listing}"
    )


def test_web_signup(client):
    client.get(reverse("account_signup"))
    with Statements(connection) as statements:
        response = client.post(
            reverse("account_signup"),
            {
                "email": "budget@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
    assert response.status_code == 302
    within(10, statements)


def test_web_login(user):
    client = Client()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.post(reverse("account_logout"))
    client.get(reverse("account_login"))
    with Statements(connection) as statements:
        response = client.post(
            reverse("account_login"), {"login": user.email, "password": PASSWORD}
        )
    assert response.status_code == 302
    within(6, statements)


def test_failed_login(user):
    client = Client()
    with Statements(connection) as statements:
        response = client.post(
            reverse("account_login"), {"login": user.email, "password": "wrong-one-1"}
        )
    assert response.status_code == 200
    within(4, statements)


def test_confirmation_post(client):
    user = UserFactory.create(verified=False)
    key = EmailConfirmationHMAC(EmailAddress.objects.get(user=user)).key
    with Statements(connection) as statements:
        response = client.post(reverse("account_confirm_email", args=[key]))
    assert response.status_code == 302
    within(8, statements)


def test_api_me_with_a_jwt(user):
    access, _ = tokens_of(login(Client(), user.email)[1])
    with Statements(connection) as statements:
        status, _ = call(Client(), "get", "/api/me", **bearer(access))
    assert status == 200
    within(2, statements)


def test_jwt_refresh(user):
    _, refresh = tokens_of(login(Client(), user.email)[1])
    with Statements(connection) as statements:
        status, _ = call(
            Client(), "post", f"{APP}/tokens/refresh", {"refresh_token": refresh}
        )
    assert status == 200
    within(5, statements)
