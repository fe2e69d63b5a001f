"""Every page in a real browser, at phone and desktop widths: screenshots in
test-artifacts/screenshots/ for people to look at, and the header and the
admin's lists checked to fit from 320 to 1920 pixels."""

from __future__ import annotations

import os

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from playwright.sync_api import expect

from tests.support.browser import VIEWPORTS, Visit, field, log_in, log_in_with_code
from tests.support.factories import (
    PASSWORD,
    OutgoingEmailFactory,
    UserFactory,
    fresh_totp_code,
    give_recovery_codes,
    give_totp,
)
from users.models import User

# Playwright's sync API runs an event loop in this thread; the ORM calls
# between browser steps are plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC = {
    "home": "/",
    "signup": "/accounts/signup/",
    "login": "/accounts/login/",
    "login-code": "/accounts/login/code/",
    "reset": "/accounts/password/reset/",
    "reset-sent": "/accounts/password/reset/done/",
    "reset-done": "/accounts/password/reset/key/done/",
    "check-your-inbox": "/accounts/confirm-email/",
    "not-found": "/no/such/page/",
}
SIGNED_IN = {
    "home-signed-in": "/",
    "profile": "/profile/",
    "email": "/accounts/email/",
    "password-change": "/accounts/password/change/",
    "activity": "/profile/activity/",
    "sessions": "/accounts/sessions/",
    "delete-account": "/profile/delete/",
    "two-step": "/accounts/2fa/",
    "recovery-codes": "/accounts/2fa/recovery-codes/",
    "security-keys": "/accounts/2fa/webauthn/",
    "add-security-key": "/accounts/2fa/webauthn/add/",
}
ADMIN = {
    "admin-index": "/admin/",
    "admin-user-list": "/admin/users/user/",
    "admin-outbox": "/admin/mail/outgoingemail/",
    "admin-addresses": "/admin/account/emailaddress/",
    "admin-activity": "/admin/activity/event/",
}


def people() -> tuple[User, str]:
    """A staff member with a second factor, and people with long names and
    addresses to fill the admin's lists; the staff member's TOTP secret."""
    boss = User.objects.create_superuser("boss@example.com", PASSWORD, name="Boss")
    secret = give_totp(boss)
    give_recovery_codes(boss)
    for n, name in enumerate(
        ["김민지", "Alexandria Ocasio-Fernández de la Vega", "🙂 Emoji Person"]
    ):
        UserFactory.create(
            email=f"a.rather.long.address.number.{n}@subdomain.example.com",
            name=name,
            verified=n != 1,
        )
        for status in ("sent", "pending", "failed"):
            OutgoingEmailFactory.create(
                to=f"a.rather.long.address.number.{n}@subdomain.example.com",
                subject="Please Confirm Your Email Address",
                status=status,
                last_error="451 4.3.0 Try again later" if status != "sent" else "",
            )
    return boss, secret


def speak(tab: Visit, language: str) -> None:
    """Switch a signed-in tab's pages (the forms to sign in are filled in
    English) to `language` with the header's switch."""
    if language == "ko":
        tab.page.get_by_role("button", name="한국어").click()
        expect(tab.page.locator("html")).to_have_attribute("lang", "ko")


def shoot(tab: Visit, artifacts, name: str, path: str) -> None:
    response = tab.page.goto(path)
    assert response is not None
    tab.screenshot(artifacts, name)


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", ["en", "ko"])
def test_screenshots_of_every_page(visit, web, artifacts, viewport, language):
    _boss, secret = people()
    suffix = "" if language == "en" else "-ko"
    locale = "en-US" if language == "en" else "ko-KR"

    visitor = visit(viewport, locale=locale)
    for name, path in PUBLIC.items():
        shoot(visitor, artifacts, name + suffix, path)
    unverified = UserFactory.create(email="new@example.com", verified=False)
    key = EmailConfirmationHMAC(EmailAddress.objects.get(user=unverified)).key
    shoot(
        visitor, artifacts, "confirm-email" + suffix, f"/accounts/confirm-email/{key}/"
    )
    # A form left open too long: its CSRF cookie is gone.
    visitor.page.goto("/accounts/login/")
    visitor.page.locator("input[name=login]").fill("late@example.com")
    visitor.page.locator("input[name=password]").fill(PASSWORD)
    visitor.context.clear_cookies()
    visitor.page.locator("main form button[type=submit]").first.click()
    expect(visitor.page.locator("h1")).to_have_count(1)
    visitor.screenshot(artifacts, "csrf-failure" + suffix)
    visitor.problems.clear()  # the browser logs the 403 as an error

    member = visit(viewport)
    person = UserFactory.create(email="member@example.com", name="Minji Kim")
    EmailAddress.objects.create(user=person, email="second@example.com")
    log_in(member.page, person.email)
    speak(member, language)
    shoot(member, artifacts, "totp-activate" + suffix, "/accounts/2fa/totp/activate/")
    shoot(member, artifacts, "email-change-pending" + suffix, "/accounts/email/")

    staff = visit(viewport)
    log_in(staff.page, "boss@example.com")
    staff.screenshot(artifacts, "second-factor")
    field(staff.page, "Code").fill(fresh_totp_code(secret))
    with staff.page.expect_navigation():
        staff.page.get_by_role("button", name="Sign In", exact=True).click()
    speak(staff, language)
    for name, path in {**SIGNED_IN, **ADMIN}.items():
        shoot(staff, artifacts, name + suffix, path)
    staff.page.goto("/admin/mail/outgoingemail/")
    staff.page.locator("#result_list tbody tr th a").first.click()
    staff.screenshot(artifacts, "admin-outbox-row" + suffix)
    staff.page.goto("/admin/users/user/")
    staff.page.locator("#result_list tbody tr th a").first.click()
    staff.screenshot(artifacts, "admin-user" + suffix)

    folder = artifacts / "screenshots"
    for name in [*PUBLIC, *SIGNED_IN, *ADMIN, "confirm-email", "csrf-failure"]:
        assert (folder / f"{name}{suffix}-{viewport}.png").stat().st_size > 0


def test_the_500_page_is_ours_in_both_languages(visit, web, artifacts):
    """Django renders it for an error of ours (handler500); served here in
    place of a page, as the browser would receive it."""
    from django.test import RequestFactory  # noqa: PLC0415
    from django.utils import translation  # noqa: PLC0415

    from ops.unavailable import server_error  # noqa: PLC0415

    for language in ("en", "ko"):
        with translation.override(language):
            html = server_error(RequestFactory().get("/")).content
        tab = visit("mobile")

        def answer(route, _request, body=html) -> None:
            route.fulfill(status=500, body=body, content_type="text/html")

        tab.page.route("**/error", answer)
        tab.page.goto("/error")
        expect(tab.page.locator("h1")).to_have_text(
            "Something went wrong" if language == "en" else "문제가 발생했습니다"
        )
        tab.screenshot(artifacts, f"server-error{'' if language == 'en' else '-ko'}")
        tab.problems.clear()  # the browser logs the 500 as an error


HEADER_PROBLEMS = """
() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width)
    problems.push(`it scrolls sideways: ${document.documentElement.scrollWidth}`);
  const inner = document.querySelector(".site-header-inner").getBoundingClientRect();
  const page = document.querySelector("main").getBoundingClientRect();
  const parts = [".brand", ".site-nav", ".language-switch"].map(
    (selector) => [selector, document.querySelector(selector).getBoundingClientRect()]);
  for (const [selector, box] of parts) {
    if (box.left < 0 || box.right > width) problems.push(`${selector} leaves`);
    if (box.width === 0) problems.push(`${selector} is not shown`);
  }
  for (let i = 0; i < parts.length; i++) {
    for (let j = i + 1; j < parts.length; j++) {
      const [a, p] = parts[i], [b, q] = parts[j];
      const apart = p.right <= q.left || q.right <= p.left
        || p.bottom <= q.top || q.bottom <= p.top;
      if (!apart)
        problems.push(`${a} overlaps ${b}`);
    }
  }
  if (Math.abs(inner.left - page.left) > 1 && page.left > 0)
    problems.push(`the header starts at ${inner.left}, the page at ${page.left}`);
  return problems;
}
"""


@pytest.mark.parametrize("width", [320, 390, 768, 1280, 1920])
@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "signed-in"])
def test_the_header_holds_together_at_every_width(visit, web, width, signed_in):
    tab = visit("desktop")
    tab.page.set_viewport_size({"width": width, "height": 800})
    if signed_in:
        user = UserFactory.create(email="header@example.com")
        log_in(tab.page, user.email)

    tab.page.goto("/profile/" if signed_in else "/accounts/login/")
    speak(tab, "ko")  # the longer words

    assert tab.page.evaluate(HEADER_PROBLEMS) == []


ADMIN_LIST_PROBLEMS = """
() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width)
    problems.push(`it scrolls sideways: ${document.documentElement.scrollWidth}`);
  const results = document.querySelector(".results");
  if (results.scrollWidth > results.clientWidth)
    problems.push(`the list is cut: ${results.scrollWidth} > ${results.clientWidth}`);
  if (results.getBoundingClientRect().right > width)
    problems.push("the list is wider than the window");
  return problems;
}
"""


@pytest.mark.parametrize("path", ["/admin/users/user/", "/admin/mail/outgoingemail/"])
def test_the_admin_lists_fit_a_1280_pixel_window(visit, web, path):
    _boss, secret = people()
    tab = visit("desktop")
    log_in_with_code(tab.page, "boss@example.com", secret)

    tab.page.goto(path)

    assert tab.page.evaluate(ADMIN_LIST_PROBLEMS) == []
