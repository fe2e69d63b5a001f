"""End to end in a real browser: Debian's chromium driven by Playwright, against
gunicorn, with the real Celery worker and SMTP server. Screenshots of each
main page, at phone and desktop sizes, land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from playwright.sync_api import (
    expect,
)

from mail.models import Suppression
from tests.support.browser import VIEWPORTS, field, log_in, log_in_with_code
from tests.support.factories import PASSWORD, UserFactory, fresh_totp_code, give_totp
from tests.support.flows import NEW_PASSWORD, found
from users.models import User

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("worker"),
]


def test_sign_up_confirm_by_link_log_in_edit_profile_and_log_out(
    visit, mailbox, artifacts
):
    tab = visit()
    page = tab.page

    page.goto("/accounts/signup/")
    field(page, "Email").fill("browser@example.com")
    field(page, "Password").fill(PASSWORD)
    field(page, "Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Verify Your Email Address"
    )

    (message,) = mailbox.wait_for(to="browser@example.com")
    link = found(r"http://\S+/accounts/confirm-email/\S+/", message.text, 0)
    page.goto(link)  # the link leads to this very host
    page.get_by_role("button", name="Confirm").click()
    assert EmailAddress.objects.get(email="browser@example.com").verified

    log_in(page, "browser@example.com")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text("browser@example.com", exact=True)).to_be_visible()

    page.get_by_role("link", name="Profile").first.click()
    field(page, "Name").fill("Brow Ser")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile was saved.")
    assert User.objects.get().name == "Brow Ser"

    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign Out").click()
    nav = page.get_by_role("navigation", name="Account")
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto("/profile/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_forgotten_password_reset_by_emailed_link(visit, mailbox):
    user = UserFactory.create(email="forgetful@example.com")
    page = visit().page

    page.goto("/accounts/login/")
    page.get_by_role("link", name=re.compile("Forgot your password")).click()
    field(page, "Email").fill(user.email)
    page.get_by_role("button", name="Reset My Password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password Reset")

    (message,) = mailbox.wait_for(to=user.email)
    page.goto(found(r"http://\S+/accounts/password/reset/key/\S+/", message.text, 0))
    field(page, "New Password").fill(NEW_PASSWORD)
    field(page, "New Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password is now changed.")).to_be_visible()

    log_in(page, user.email, PASSWORD)
    expect(page.get_by_text("not correct")).to_be_visible()
    log_in(page, user.email, NEW_PASSWORD)
    expect(page.get_by_text(user.email, exact=True)).to_be_visible()


def test_repeated_wrong_passwords_are_throttled_with_a_readable_message(visit):
    user = UserFactory.create(email="guessed@example.com")
    page = visit().page

    for _ in range(6):
        log_in(page, user.email, "wrong-Password-1")

    expect(page.get_by_text("Too many failed login attempts")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign In")


def test_staff_find_a_new_user_see_them_verified_and_resend_verification(
    visit, mailbox
):
    secret = give_totp(User.objects.create_superuser("boss@example.com", PASSWORD))
    UserFactory.create(email="verified.person@example.com")
    UserFactory.create(email="pending.person@example.com", verified=False)
    page = visit().page

    page.goto("/admin/")  # to the site's login, then the second factor
    log_in_with_code(page, "boss@example.com", secret)
    page.goto("/admin/users/user/")
    page.locator("#searchbar").fill("verified.person")
    page.locator("#searchbar").press("Enter")
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td.field-verified img")).to_have_attribute("alt", "True")

    row.locator("input[type=checkbox]").check()
    page.locator("select[name=action]").select_option("resend_verification_email")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("Queued 1 verification email.")).to_be_visible()
    (message,) = mailbox.wait_for(to="verified.person@example.com")
    assert "/accounts/confirm-email/" in message.text


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_screenshots_of_the_main_pages(visit, mailbox, artifacts, viewport):
    secret = give_totp(User.objects.create_superuser("boss@example.com", PASSWORD))
    tab = visit(viewport)
    page = tab.page

    page.goto("/accounts/signup/")
    tab.screenshot(artifacts, "signup")
    field(page, "Email").fill("shot@example.com")
    field(page, "Password").fill(PASSWORD)
    field(page, "Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    tab.screenshot(artifacts, "check-your-inbox")
    page.goto("/accounts/login/")
    tab.screenshot(artifacts, "login")
    page.goto("/accounts/password/reset/")
    tab.screenshot(artifacts, "reset")
    log_in(page, "boss@example.com")
    tab.screenshot(artifacts, "second-factor")
    field(page, "Code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))
    tab.screenshot(artifacts, "home-signed-in")
    page.goto("/profile/")
    tab.screenshot(artifacts, "profile")
    page.goto("/admin/users/user/")
    tab.screenshot(artifacts, "admin-user-list")
    mailbox.wait_for(to="shot@example.com")
    page.goto("/_allauth/openapi.html")
    expect(page.get_by_role("heading", name="Our API")).to_be_visible()

    names = [
        "signup",
        "check-your-inbox",
        "login",
        "reset",
        "second-factor",
        "home-signed-in",
        "profile",
        "admin-user-list",
    ]
    for name in names:
        assert (artifacts / "screenshots" / f"{name}-{viewport}.png").stat().st_size > 0


ACCESSIBILITY_PROBLEMS = """
() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  for (const field of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button"].includes(field.type)) continue;
    if (field.closest("[aria-hidden=true]")) continue;
    const labelled = field.labels.length || field.getAttribute("aria-label")
      || field.getAttribute("aria-labelledby");
    if (!labelled) problems.push(`unlabelled field ${field.name || field.id}`);
  }
  const levels = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
    .filter((h) => h.offsetParent !== null)
    .map((h) => Number(h.tagName[1]));
  if (levels[0] !== 1) problems.push(`first heading is h${levels[0]}`);
  if (levels.filter((l) => l === 1).length !== 1) problems.push("not exactly one h1");
  levels.forEach((level, i) => {
    const before = levels[i - 1];
    if (i && level > before + 1) problems.push(`h${before} then h${level}`);
  });
  return problems;
}
"""


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/accounts/signup/",
        "/accounts/login/",
        "/accounts/password/reset/",
        "/accounts/confirm-email/",
        "/profile/",
        "/accounts/email/",
        "/accounts/password/change/",
    ],
)
def test_pages_are_labelled_have_a_language_and_an_orderly_outline(visit, path):
    UserFactory.create(email="a11y@example.com")
    page = visit().page
    if path in ("/profile/", "/accounts/email/", "/accounts/password/change/"):
        log_in(page, "a11y@example.com")

    page.goto(path)

    assert page.evaluate(ACCESSIBILITY_PROBLEMS) == []


def test_login_works_with_the_keyboard_alone(visit):
    UserFactory.create(email="keys@example.com")
    page = visit().page
    page.goto("/accounts/login/")

    page.locator("body").focus()
    for _ in range(12):  # Tab until the email field has focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "login":
            break
    page.keyboard.type("keys@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_text("keys@example.com", exact=True)).to_be_visible()


def test_focus_is_visible(visit):
    page = visit().page
    page.goto("/accounts/login/")
    page.locator("body").focus()
    page.keyboard.press("Tab")

    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


def test_korean_from_the_browser_language_and_a_switch_that_sticks(visit, artifacts):
    tab = visit("mobile", locale="ko-KR")
    page = tab.page

    page.goto("/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", level=1)).to_have_text("회원가입")
    tab.screenshot(artifacts, "signup-ko")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign Up")
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="한국어").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("로그인")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_an_undeliverable_address_is_told_at_sign_in_and_on_the_email_page(
    visit, artifacts, viewport
):
    UserFactory.create(email="bounced@example.com")
    Suppression.objects.create(
        address="bounced@example.com",
        reason=Suppression.Reason.HARD_BOUNCE,
        suppressed_at=timezone.now(),
    )
    tab = visit(viewport)
    page = tab.page

    log_in(page, "bounced@example.com")
    expect(page.get_by_role("status")).to_contain_text(
        "We couldn't deliver email to bounced@example.com"
    )
    page.get_by_role("link", name=re.compile("Change to another address")).click()

    expect(page.get_by_role("alert")).to_contain_text(
        "We couldn't deliver to this address"
    )
    assert page.evaluate(ACCESSIBILITY_PROBLEMS) == []
    tab.screenshot(artifacts, "email-undeliverable")
    page.get_by_role("button", name="I fixed it: write to it again").click()
    expect(page.get_by_role("status")).to_contain_text(
        "We will send email to bounced@example.com again"
    )
    assert not Suppression.objects.get().is_active


def test_the_confirmation_sent_page_says_where_the_email_comes_from(visit, artifacts):
    tab = visit()
    page = tab.page
    page.goto("/accounts/signup/")
    field(page, "Email").fill("waiting@example.com")
    field(page, "Password").fill(PASSWORD)
    field(page, "Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()

    expect(page.get_by_text("It comes from")).to_be_visible()
    assert page.evaluate(ACCESSIBILITY_PROBLEMS) == []
    tab.screenshot(artifacts, "verification-sent")
    # Moments after the signup's own email: another is held back, and the
    # page says until when rather than "sent".
    page.get_by_role("button", name="Send it again").click()
    expect(page.get_by_role("status")).to_contain_text(
        "You can ask for another email at"
    )
