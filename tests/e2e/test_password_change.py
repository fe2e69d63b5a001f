"""Changing the password in a real browser: this browser stays signed in,
every other one is signed out, and so is every app holding a JWT."""

from __future__ import annotations

import os
import re
from http import HTTPStatus

import pytest
import requests
from allauth.usersessions.models import UserSession
from playwright.sync_api import expect

from tests.support.browser import field, log_in
from tests.support.factories import PASSWORD, UserFactory
from tests.support.flows import NEW_PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls
# between browser steps are plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_password_keeps_this_browser_and_signs_out_every_other(visit, web):
    user = UserFactory.create(email="changer@example.com")
    here, there = visit(), visit("mobile")
    log_in(here.page, user.email)
    log_in(there.page, user.email)
    app = requests.post(
        f"{web.url}/_allauth/app/v1/auth/login",
        json={"email": user.email, "password": PASSWORD},
        timeout=30,
    ).json()["meta"]
    bearer = {"Authorization": f"Bearer {app['access_token']}"}
    assert requests.get(f"{web.url}/api/me", headers=bearer, timeout=30).ok
    cookie_before = here.context.cookies()

    page = here.page
    page.goto("/accounts/password/change/")
    field(page, "Current Password").fill(PASSWORD)
    field(page, "New Password").fill(NEW_PASSWORD)
    field(page, "New Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()

    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(page.get_by_role("status")).to_contain_text("Password successfully changed.")
    session = {c["name"]: c["value"] for c in here.context.cookies()}["sessionid"]
    assert session != {c["name"]: c["value"] for c in cookie_before}["sessionid"]
    page.goto("/accounts/email/")
    expect(page).to_have_url(re.compile(r"/accounts/email/$"))  # still signed in
    there.page.goto("/profile/")
    expect(there.page).to_have_url(re.compile(r"/accounts/login/"))
    response = requests.get(f"{web.url}/api/me", headers=bearer, timeout=30)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [session]


def test_after_a_reset_the_page_leads_to_sign_in(visit):
    page = visit().page

    page.goto("/accounts/password/reset/key/done/")
    page.get_by_role("link", name="Sign in with your new password").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
