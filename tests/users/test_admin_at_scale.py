"""The admin's account lists at a million users: no page counts every row,
and searches and ordering can use their indexes (users.0008). The timings
at a million are bench/million_users.py's; these pin down the mechanism."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from project.paginator import EstimatedCountPaginator
from tests.support.factories import UserFactory
from users.models import User

pytestmark = pytest.mark.django_db

USERS = reverse("admin:users_user_changelist")
ADDRESSES = reverse("admin:account_emailaddress_changelist")
COUNT = re.compile(r"\bCOUNT\(", re.IGNORECASE)


@pytest.fixture
def small_cap(monkeypatch) -> int:
    """Count exactly up to 5 rows, so a dozen are "too many to count"."""
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 5)
    return 5


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE users_user, account_emailaddress")


def counts_in(statements: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in statements.captured_queries if COUNT.search(q["sql"])]


@pytest.mark.parametrize("changelist", [USERS, ADDRESSES])
def test_a_long_list_is_never_counted_past_the_cap(staff_client, small_cap, changelist):
    UserFactory.create_batch(12)
    analyze()

    with CaptureQueriesContext(connection) as statements:
        response = staff_client.get(changelist)

    assert response.status_code == HTTPStatus.OK
    counts = counts_in(statements)
    assert counts, "the list was not counted at all"
    for sql in counts:
        assert f"LIMIT {small_cap + 1}" in sql, f"a full count: {sql}"
    # Past the cap, the count is the planner's estimate: more than the cap.
    assert response.context["cl"].result_count > small_cap


@pytest.mark.parametrize("changelist", [USERS, ADDRESSES])
def test_a_search_is_never_counted_past_the_cap(staff_client, small_cap, changelist):
    UserFactory.create_batch(12)
    analyze()

    with CaptureQueriesContext(connection) as statements:
        response = staff_client.get(changelist, {"q": "example.com"})

    assert response.status_code == HTTPStatus.OK
    for sql in counts_in(statements):
        assert f"LIMIT {small_cap + 1}" in sql, f"a full count: {sql}"


def test_a_short_list_is_counted_exactly(staff_client, small_cap):
    UserFactory.create_batch(2)  # and the staff member: three users

    response = staff_client.get(USERS)

    assert response.context["cl"].result_count == User.objects.count() == 3


def plan_without_sequential_scans(queryset) -> str:
    """The plan PostgreSQL makes for `queryset` when a sequential scan is its
    last resort: it names an index only if one can serve the query."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


def search(model, term: str):
    model_admin = admin.site.get_model_admin(model)
    request = RequestFactory().get("/", {"q": term})
    rows, _duplicates = model_admin.get_search_results(
        request, model_admin.get_queryset(request), term
    )
    return rows.order_by()  # the search alone, whatever the list's order


def test_user_search_by_email_and_name_uses_the_trigram_indexes(db):
    plan = plan_without_sequential_scans(search(User, "kim123@naver"))

    assert "users_user_email_upper_trgm" in plan
    assert "users_user_name_upper_trgm" in plan


def test_address_search_uses_its_trigram_index(db):
    plan = plan_without_sequential_scans(search(EmailAddress, "kim123@naver"))

    assert "account_emailaddress_email_upper_trgm" in plan


def test_user_list_order_uses_the_date_joined_index(rf, admin_user):
    model_admin = admin.site.get_model_admin(User)
    request = rf.get(USERS)
    request.user = admin_user
    changelist = model_admin.get_changelist_instance(request)

    plan = plan_without_sequential_scans(changelist.get_queryset(request)[:100])

    assert "users_user_date_joined_id" in plan
    assert "Sort" not in plan.split("users_user_date_joined_id")[0]
