"""Every email the service sends, made the way a person makes it send them.

`every_email(language)` drives each flow through Django's test client, as a
person in that language would (a signup, a reset, a change of address, a
new device, a sign-in with a provider, answered by the local fakes of
tests/support/sign_in_providers.py...), and returns the outbox rows it
wrote, by template. The two notices no flow here can reach without a
security key (one added, one removed) are sent through the adapter, inside a
request, as allauth's WebAuthn flow sends them. Nothing is sent on: rows
keep their bodies until a worker sends them, so a test that wants them must
not run one.

`EMAIL_TEMPLATES` lists the templates of every email an installed app can
send; `uncovered()` names those `every_email` does not make, so a new email
fails the tests that use it until it is added here.
"""

from __future__ import annotations

import re
from html import unescape
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, cast

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.core import context as allauth_context
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.conf import settings
from django.template.utils import get_app_template_dirs
from django.test import Client, RequestFactory, TestCase

from mail.models import OutgoingEmail
from project.middleware import public_origin
from tests.support import sign_in_providers as fakes
from tests.support.factories import (
    PASSWORD,
    UserFactory,
    fresh_totp_code,
    give_recovery_codes,
    give_totp,
)
from tests.support.flows import NEW_PASSWORD, link_in, path_of, prove_mailbox

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest

    from users.models import User

# Templates of emails for features this service leaves off.
FEATURES_OFF = {
    "account/email/password_reset_code",  # resets are by link
    "account/email/email_confirm",  # verification is by link, not code
}
_serial = count(1)


def address(name: str, language: str) -> str:
    return f"{name}-{language}-{next(_serial)}@example.com"


def _templates_under(folder: Path, prefixes: tuple[str, ...]) -> set[str]:
    return {
        str(path.relative_to(folder)).removesuffix("_message.txt")
        for path in folder.rglob("*_message.txt")
        if str(path.relative_to(folder)).startswith(prefixes)
        and not path.name.startswith("base_")  # the frame of the others
    }


def email_templates() -> set[str]:
    """Every `<prefix>_message.txt` of an email an installed app may send."""
    installed = tuple(
        f"{app.label}/email/"
        for app in apps.get_app_configs()
        if app.label not in ("admin", "auth")
    )
    dirs = cast("list[str]", settings.TEMPLATES[0]["DIRS"])
    folders = [Path(folder) for folder in dirs]
    folders += [Path(folder) for folder in get_app_template_dirs("templates")]
    return (
        set().union(*(_templates_under(folder, installed) for folder in folders))
        - FEATURES_OFF
    )


# What people type that a page or an email must show as typed, never as
# markup: HTML, an emoji, Korean and right-to-left text (an override mark,
# then Arabic).
TRICKY_NAME = (
    '<script>alert("x")</script> 김민지 🙂 \u202e\u0634\u0644\u0627\u0645 & <b>'
)


class Sender:
    """A person of `language` making the service send mail; a `tricky` one
    has a name and addresses full of markup (TRICKY_NAME, and a quoted
    local part such as `"<i>&'signup'</i>"@example.com`)."""

    def __init__(self, language: str, *, tricky: bool = False) -> None:
        self.language = language
        self.tricky = tricky
        self.headers = {"Accept-Language": language}

    def address(self, name: str) -> str:
        if self.tricky:
            return f"\"<i>&'{name}-{self.language}-{next(_serial)}'</i>\"@example.com"
        return address(name, self.language)

    def user(self, name: str, **fields) -> User:
        fields.setdefault("email", self.address(name))
        if self.tricky:
            fields.setdefault("name", TRICKY_NAME)
        return UserFactory.create(language=self.language, **fields)

    def client(self, **headers: str) -> Client:
        return Client(headers={**self.headers, **headers})

    def signed_in(self, user: User, **headers: str) -> Client:
        """Signed in, with a fresh reauthentication for sensitive changes."""
        client = self.client(**headers)
        client.force_login(user)
        client.post("/accounts/reauthenticate/", {"password": PASSWORD})
        return client

    def request(self) -> HttpRequest:
        """A request of this person's, as the middleware leaves it."""
        request = RequestFactory().get(
            "/", headers={**self.headers, "User-Agent": "Mozilla/5.0 Firefox/133.0"}
        )
        request._current_scheme_host = public_origin(request)  # type: ignore[attr-defined]  # noqa: SLF001
        return request

    def notice(self, template: str, user: User, context: dict | None = None) -> None:
        """What a flow's `send_notification_mail` does, in a request."""
        request = self.request()
        with allauth_context.request_context(request):
            get_adapter(request).send_notification_mail(template, user, context)


def _newest_to(recipient: str, after: int) -> OutgoingEmail:
    rows = OutgoingEmail.objects.filter(to=recipient, pk__gt=after).order_by("pk")
    assert rows, f"no email to {recipient}"
    return list(rows)[-1]


def _signup(s: Sender) -> str:
    email = s.address("signup")
    s.client().post(
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    return email


def _added_address(s: Sender) -> str:
    user = s.user("adder")
    email = s.address("added")
    s.signed_in(user).post("/accounts/email/", {"email": email, "action_add": ""})
    return email


def _changed_address(s: Sender) -> str:
    user = s.user("changer")
    new = s.address("changed")
    client = s.signed_in(user)
    client.post("/accounts/email/", {"email": new, "action_add": ""})
    key = EmailConfirmationHMAC(EmailAddress.objects.get(email=new)).key
    client.post(f"/accounts/confirm-email/{key}/")
    return user.email  # the old address is told


def _reset_link(s: Sender) -> str:
    user = s.user("forgetful")
    s.client().post("/accounts/password/reset/", {"email": user.email})
    return user.email


def _reset_done(s: Sender) -> str:
    user = s.user("reset")
    client = s.client()
    client.post("/accounts/password/reset/", {"email": user.email})
    row = _newest_to(user.email, 0)
    form = client.get(path_of(link_in(row.body_text, "/password/reset/key/")))
    client.post(
        form["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    return user.email


def _unknown_account(s: Sender) -> str:
    email = s.address("stranger")
    s.client().post("/accounts/password/reset/", {"email": email})
    return email


def _already_exists(s: Sender) -> str:
    user = s.user("taken")
    s.client().post(
        "/accounts/signup/",
        {"email": user.email, "password1": PASSWORD, "password2": PASSWORD},
    )
    return user.email


def _already_started(s: Sender) -> str:
    email = _signup(s)
    s.client().post(
        "/accounts/signup/",
        {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    return email


def _login_code(s: Sender) -> str:
    user = s.user("coded")
    s.client().post("/accounts/login/code/", {"email": user.email})
    return user.email


def _password_changed(s: Sender) -> str:
    user = s.user("changes-password")
    s.signed_in(user).post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    return user.email


def _password_set(s: Sender) -> str:
    user = s.user("no-password")
    user.set_unusable_password()
    user.save()
    client = s.client()
    client.force_login(user)
    prove_mailbox(client, user.email)
    client.post(
        "/accounts/password/set/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    return user.email


def _reauthentication_code(s: Sender) -> str:
    user = s.user("no-password-code")
    user.set_unusable_password()
    user.save()
    client = s.client()
    client.force_login(user)
    client.post("/accounts/reauthenticate/code/", {"send": "1"})
    return user.email


def _address_removed(s: Sender) -> str:
    user = s.user("two-addresses")
    EmailAddress.objects.create(user=user, email=s.address("second"), verified=True)
    second = EmailAddress.objects.get(user=user, primary=False).email
    s.signed_in(user).post("/accounts/email/", {"email": second, "action_remove": ""})
    return user.email


def _address_in_use(s: Sender) -> str:
    owner = s.user("owner")
    s.signed_in(s.user("claimer")).post(
        "/accounts/email/", {"email": owner.email, "action_add": ""}
    )
    return owner.email


def _claimed_elsewhere(s: Sender) -> str:
    squatter = s.user("squatter")
    email = s.address("claimed")
    EmailAddress.objects.create(user=squatter, email=email, verified=False)
    owner = UserFactory.create(email=email, language=s.language, verified=False)
    key = EmailConfirmationHMAC(EmailAddress.objects.get(user=owner)).key
    s.client().post(f"/accounts/confirm-email/{key}/")
    return squatter.email


def _account_deleted(s: Sender) -> str:
    user = s.user("leaving")
    s.signed_in(user).post("/profile/delete/", {"confirm": "on"})
    return user.email


def _new_sign_in(s: Sender) -> str:
    user = s.user("travelling")
    for agent in (
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 "
            "Mobile/15E148 Safari/604.1"
        ),
    ):
        s.client(**{"User-Agent": agent}).post(
            "/accounts/login/", {"login": user.email, "password": PASSWORD}
        )
    return user.email


def _session_ended(s: Sender) -> str:
    user = s.user("two-devices")
    s.client().post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    s.signed_in(user).post("/accounts/sessions/")
    return user.email


def _totp_activated(s: Sender) -> str:
    user = s.user("enrolling")
    client = s.signed_in(user)
    client.get("/accounts/2fa/totp/activate/")
    secret = client.session["mfa.totp.secret"]
    client.post("/accounts/2fa/totp/activate/", {"code": fresh_totp_code(secret)})
    return user.email


def _with_totp(s: Sender, name: str) -> tuple[User, Client]:
    user = s.user(name)
    give_totp(user)
    give_recovery_codes(user)
    return user, s.signed_in(user)


def _totp_deactivated(s: Sender) -> str:
    user, client = _with_totp(s, "unenrolling")
    client.post("/accounts/2fa/totp/deactivate/")
    return user.email


def _recovery_codes(s: Sender) -> str:
    user, client = _with_totp(s, "regenerating")
    client.post("/accounts/2fa/recovery-codes/generate/")
    return user.email


def _identity_with_your_address(s: Sender, provider: str) -> str:
    """Someone signs in with a new identity at `provider` that carries an
    account's address: its owner is mailed (social/linking.py)."""
    owner = s.user("owner-elsewhere")
    with fakes.configured() as provider_side:
        provider_side.person.sub = str(next(_serial))
        provider_side.person.email = owner.email
        fakes.sign_in_with(s.client(), provider)
    return owner.email


def _connect_approval(s: Sender) -> str:
    fakes.trust("google")  # and Google asserts the address: a link to approve
    return _identity_with_your_address(s, "google")


def _sign_in_attempt(s: Sender) -> str:
    return _identity_with_your_address(s, "kakao")  # not trusted: no link


def _connected(s: Sender, name: str) -> tuple[User, Client]:
    """A person who connected Naver from the connections page."""
    user = s.user(name)
    client = s.signed_in(user)
    with fakes.configured() as provider_side:
        provider_side.person.sub = str(next(_serial))
        provider_side.person.email = s.address("at-naver")
        fakes.sign_in_with(client, "naver", process="connect")
    return user, client


def _provider_connected(s: Sender) -> str:
    user, _client = _connected(s, "connecting")
    return user.email


def _provider_disconnected(s: Sender) -> str:
    user, client = _connected(s, "disconnecting")
    account = SocialAccount.objects.get(user=user)
    with fakes.configured():
        client.post("/accounts/3rdparty/", {"account": account.pk})
    return user.email


def _security_key(template: str) -> Callable[[Sender], str]:
    def send(s: Sender) -> str:
        user = s.user("keyholder")
        s.notice(template, user)
        return user.email

    return send


MAKERS: dict[str, Callable[[Sender], str]] = {
    "account/email/email_confirmation_signup": _signup,
    "account/email/email_confirmation": _added_address,
    "account/email/email_changed": _changed_address,
    "account/email/password_reset_key": _reset_link,
    "account/email/password_reset": _reset_done,
    "account/email/unknown_account": _unknown_account,
    "account/email/account_already_exists": _already_exists,
    "account/email/account_already_exists (never verified)": _already_started,
    "account/email/login_code": _login_code,
    "account/email/password_changed": _password_changed,
    "account/email/password_set": _password_set,
    "account/email/email_deleted": _address_removed,
    "account/email/email_in_use": _address_in_use,
    "account/email/email_claimed_elsewhere": _claimed_elsewhere,
    "users/email/account_deleted": _account_deleted,
    "users/email/reauthentication_code": _reauthentication_code,
    "activity/email/new_sign_in": _new_sign_in,
    "usersessions/email/session_ended": _session_ended,
    "mfa/email/totp_activated": _totp_activated,
    "mfa/email/totp_deactivated": _totp_deactivated,
    "mfa/email/recovery_codes_generated": _recovery_codes,
    "mfa/email/webauthn_added": _security_key("mfa/email/webauthn_added"),
    "mfa/email/webauthn_removed": _security_key("mfa/email/webauthn_removed"),
    "social/email/connect_approval": _connect_approval,
    "social/email/sign_in_attempt": _sign_in_attempt,
    "socialaccount/email/account_connected": _provider_connected,
    "socialaccount/email/account_disconnected": _provider_disconnected,
}


def uncovered() -> set[str]:
    """Templates of emails the service may send that MAKERS does not make."""
    made = {name.split(" ")[0] for name in MAKERS}
    return email_templates() - made


def every_email(language: str, *, tricky: bool = False) -> dict[str, OutgoingEmail]:
    """Each email of MAKERS, made in `language` (by a `tricky` Sender, if
    asked): the outbox row by name."""
    made = {}
    for name, make in MAKERS.items():
        before = OutgoingEmail.objects.order_by("-pk").values_list("pk", flat=True)
        last = before.first() or 0
        sender = Sender(language, tricky=tricky)
        # allauth sends some notices once the change commits, still inside
        # the request; a test inside a transaction runs them itself.
        with (
            allauth_context.request_context(sender.request()),
            TestCase.captureOnCommitCallbacks(execute=True),
        ):
            recipient = make(sender)
        made[name] = _newest_to(recipient, last)
    return made


# A mail client's autolinker: a URL runs on until whitespace.
AUTOLINK = re.compile(r"https?://\S+")
HREF = re.compile(r"""<a\s[^>]*href="([^"]*)\"""", re.IGNORECASE)


def links_in_text(text: str) -> list[str]:
    return AUTOLINK.findall(text)


def links_in_html(html: str) -> list[str]:
    """Every link's target, unescaped as a browser would."""
    return [unescape(href) for href in HREF.findall(html)]
