"""Each sign-in recorded as a signed-in device (allauth.usersessions), in
one statement with its time as the account's last login.

allauth's own receiver lists every session of the account at each login to
purge the ended ones (a query each), then looks the new one up before
creating it. Here a login writes its row and nothing else; ended sessions
are cleared daily (`purge_ended_sessions`), and the device list purges
what it shows, as allauth's page does anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account.adapter import get_adapter
from allauth.account.signals import user_logged_in
from allauth.usersessions import signals as usersessions_signals
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.signals import user_logged_in as django_logged_in
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

from project.sql import column, execute_after
from project.sql import insert as sql_insert

if TYPE_CHECKING:
    from django.http import HttpRequest

# SessionActivityMiddleware (users/sessions.py) writes a session's activity
# at most once per interval, keyed so; a new session was just written.
SEEN_KEY = "usersessions:seen:{}"
USER_AGENT_LENGTH = UserSession._meta.get_field("user_agent").max_length


def record_sign_in(request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """user_logged_in: the new session as a device of `user`, and now as
    its last login (Django's update_last_login, on Django's own signal, is
    disconnected: every sign-in here is allauth's). One statement."""
    session = request.session
    if not session.session_key:
        session.save()
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    insert, values, connection = sql_insert(
        UserSession(
            user=user,
            session_key=session.session_key,
            ip=get_adapter(request).get_client_ip(request),
            user_agent=user_agent[:USER_AGENT_LENGTH],
        )
    )
    user.last_login = timezone.now()
    table = connection.ops.quote_name(user._meta.db_table)
    last_login, pk = (
        column(type(user), name, connection) for name in ("last_login", "id")
    )
    update = f"UPDATE {table} SET {last_login} = %s WHERE {pk} = %s"  # noqa: S608 (names from the model)
    with connection.cursor() as cursor:
        execute_after(
            cursor,
            (update, [user.last_login, user.pk]),
            (f"{insert} ON CONFLICT DO NOTHING", values),
            name="last_login",
        )
    if interval := settings.USERSESSIONS_ACTIVITY_INTERVAL:
        cache.set(SEEN_KEY.format(session.session_key), 1, interval)


def purge_ended_sessions() -> int:
    """Delete expired sessions, and the device rows of sessions that are
    gone; how many device rows went. Two statements, whatever the size."""
    Session.objects.filter(expire_date__lt=timezone.now()).delete()
    deleted, _by_model = UserSession.objects.exclude(
        session_key__in=Session.objects.values("session_key")
    ).delete()
    return deleted


def install() -> None:
    """In place of allauth's and Django's login receivers (users/apps.py)."""
    user_logged_in.disconnect(receiver=usersessions_signals.on_user_logged_in)
    user_logged_in.connect(record_sign_in, dispatch_uid="users.session_records")
    # record_sign_in writes the last login (django.contrib.auth, earlier in
    # INSTALLED_APPS, has connected its own by now).
    django_logged_in.disconnect(dispatch_uid="update_last_login")
