"""Security events in the admin: every account's, read-only, by type and
address."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from activity.events import Type, record
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:activity_event_changelist")


def listed(response) -> list[tuple[str, str]]:
    return [(e.type, e.email) for e in response.context["cl"].result_list]


def test_staff_see_every_accounts_events_filtered_by_type(staff_client):
    ada, bob = UserFactory.create_batch(2)
    record(Type.LOGIN, ada)
    record(Type.LOGIN_FAILED, bob)

    everything = staff_client.get(CHANGELIST)
    failures = staff_client.get(CHANGELIST, {"type__exact": "login_failed"})

    assert {(Type.LOGIN, ada.email), (Type.LOGIN_FAILED, bob.email)} <= set(
        listed(everything)
    )
    assert listed(failures) == [(Type.LOGIN_FAILED, bob.email)]


def test_staff_find_events_by_address(staff_client):
    ada, bob = UserFactory.create_batch(2)
    record(Type.LOGIN, ada)
    record(Type.LOGIN, bob)

    found = staff_client.get(CHANGELIST, {"q": ada.email.split("@")[0]})

    assert listed(found) == [(Type.LOGIN, ada.email)]


def test_events_cannot_be_added_changed_or_deleted(staff_client):
    event = record(Type.LOGIN, UserFactory.create())

    add = staff_client.get(reverse("admin:activity_event_add"))
    change = staff_client.post(
        reverse("admin:activity_event_change", args=[event.pk]), {"type": "logout"}
    )
    delete = staff_client.post(
        reverse("admin:activity_event_delete", args=[event.pk]), {"post": "yes"}
    )

    assert add.status_code == HTTPStatus.FORBIDDEN
    assert change.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    event.refresh_from_db()
    assert event.type == Type.LOGIN
