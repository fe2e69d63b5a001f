"""Reauthentication for an account with no password and no second factor.

Such an account exists: a login by code drops a password that a stranger
typed at signup, and the account has none until its owner chooses one.
allauth (65.21) counts an account it has no way to reauthenticate as
reauthenticated, so anyone holding its session cookie or token could delete
it, give it a password or a factor, or change its address. Here it proves
its mailbox instead: a code mailed to its primary address, entered within
the login-code lifetime (ACCOUNT_LOGIN_BY_CODE_TIMEOUT) and attempts
(ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS), counts as a reauthentication for
DJANGO_REAUTHENTICATION_TIMEOUT, as a password given again does.

It plugs into allauth in three places: the adapter's
`is_reauthentication_required` asks for it wherever allauth asks for a
reauthentication, its `get_reauthentication_methods` sends pages to
/accounts/reauthenticate/code/, and `FirstPasswordMiddleware` asks for it
before a first password is set, which allauth never guards. Over the API,
/api/me/reauthenticate/code/request and .../confirm do the same.
"""

from __future__ import annotations

import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.login import (
    get_authentication_records,
    record_authentication,
)
from allauth.account.internal.flows.reauthentication import get_reauthentication_flows
from allauth.core import ratelimit
from allauth.core.internal.cryptokit import compare_user_code
from allauth.headless.adapter import get_adapter as get_headless_adapter
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest, HttpResponse

    from users.models import User

# The id of this way to reauthenticate, in the API's list of flows.
FLOW = "reauthenticate_by_code"
# Session key: the code mailed last, when, and how many wrong tries of it (in
# the session store, as allauth keeps its login codes).
PENDING = "users_reauthentication_code"
METHOD = "code"


def needs_mailed_code(user: User | AnonymousUser) -> bool:
    """Whether `user` has no other way to reauthenticate: no usable
    password and no second factor."""
    return user.is_authenticated and not get_reauthentication_flows(user)


def proved_mailbox_recently(request: HttpRequest, user: User) -> bool:
    """Whether this session entered a mailed code within the reauthentication
    window. A login by code does not count, as no sign-in does."""
    records = get_authentication_records(request, user)
    return any(
        r.get("reauthenticated")
        and r.get("method") == METHOD
        and time.time() - r["at"] < account_settings.REAUTHENTICATION_TIMEOUT
        for r in records
    )


def must_prove_mailbox(request: HttpRequest, user: User | AnonymousUser) -> bool:
    """Whether a sensitive change by `user` in this session needs a mailed
    code first."""
    if user.is_anonymous or not needs_mailed_code(user):
        return False
    return not proved_mailbox_recently(request, user)


def code_pending(request: HttpRequest) -> bool:
    pending = request.session.get(PENDING)
    return pending is not None and not _expired(pending)


def send_code(request: HttpRequest, user: User) -> bool:
    """Mail a fresh code to `user`'s primary address, through the outbox.
    False when too many were asked for (allauth's login-code limit, per
    address)."""
    email = user.email
    if not ratelimit.consume(request, action="request_login_code", key=email):
        return False
    code = get_adapter(request).generate_login_code()
    request.session[PENDING] = {"code": code, "at": time.time(), "failed": 0}
    get_adapter(request).send_mail(
        "users/email/reauthentication_code",
        email,
        {
            "user": user,
            "code": code,
            "sessions_url": request.build_absolute_uri(reverse("usersessions_list")),
        },
    )
    return True


def confirm_code(request: HttpRequest, user: User, code: str) -> bool:
    """Whether `code` is the one mailed last; if it is, this session counts as
    reauthenticated. A code is good for one use, a few tries and a while."""
    pending = request.session.get(PENDING)
    if not pending or _expired(pending):
        request.session.pop(PENDING, None)
        return False
    if not compare_user_code(actual=code, expected=pending["code"]):
        pending["failed"] += 1
        if pending["failed"] >= account_settings.LOGIN_BY_CODE_MAX_ATTEMPTS:
            del request.session[PENDING]  # no more guesses at this one
        else:
            request.session[PENDING] = pending
        return False
    del request.session[PENDING]
    record_authentication(
        request,
        user,
        method=METHOD,
        email=user.email,
        reauthenticated=True,
    )
    return True


def _expired(pending: dict[str, Any]) -> bool:
    return time.time() - pending["at"] > account_settings.LOGIN_BY_CODE_TIMEOUT


def page_url(next_path: str) -> str:
    """The page that asks for a mailed code, returning to `next_path`."""
    return f"{reverse('reauthenticate_by_code')}?{urlencode({'next': next_path})}"


class FirstPasswordMiddleware:
    """Setting a first password is a sensitive change too.

    allauth lets a signed-in account without a password set one with no
    reauthentication at all: with a stolen session, that password would then
    reauthenticate everything else. An account that has no other way asks
    for a mailed code first, on the page (/accounts/password/set/) and over
    the API (.../account/password/change without a current password).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, args: object, kwargs: object
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None:
            return None
        if match.url_name == "account_set_password":
            user = request.user
            if must_prove_mailbox(request, user):
                # Not allauth's suspend_request: it would keep a POSTed
                # password in the session.
                return HttpResponseRedirect(page_url(request.path))
            return None
        if match.url_name == "change_password" and "headless" in match.namespaces:
            return _api_answer(request)
        return None


def _api_answer(request: HttpRequest) -> HttpResponse | None:
    from users.api.authentication import (  # noqa: PLC0415 (it imports this)
        acting_as,
        authenticate,
    )

    caller = authenticate(request)
    if caller is None:
        return None
    with acting_as(request, caller):
        if not must_prove_mailbox(request, caller.user):
            return None
        methods = get_authentication_records(request, caller.user)
    # allauth's answer when a reauthentication is needed (built here: its
    # own response class needs the state its views set up), naming the
    # flow it cannot: the served spec lists it (users/api/spec.py).
    return JsonResponse(
        {
            "status": HTTPStatus.UNAUTHORIZED,
            "data": {
                "user": get_headless_adapter().serialize_user(caller.user),
                "methods": methods,
                "flows": [{"id": FLOW}],
            },
            "meta": {"is_authenticated": True},
        },
        status=HTTPStatus.UNAUTHORIZED,
    )
