"""Devices: a stable fingerprint of each sign-in's device, and the alert sent
when an account signs in from one it has not used lately.

A fingerprint is the browser family, the operating system and the network
(an IPv4 /24 or IPv6 /48), hashed. Versions are left out, so an ordinary
browser update is the same device; a different browser, system or network
is a new one.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import TYPE_CHECKING, NamedTuple

from allauth.account.adapter import get_adapter
from django.urls import reverse
from django.utils import timezone

from activity.app_settings import app_settings
from activity.models import Event, KnownDevice
from project.sql import column, converted, converters, execute_after
from project.sql import insert as sql_insert

if TYPE_CHECKING:
    from datetime import datetime

    from django.http import HttpRequest

    from users.models import User

IPV4 = 4
# First match wins: Edge and Opera also say "Chrome", Chrome also "Safari".
BROWSERS = [
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/|\bOpera\b")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\bFirefox/|\bFxiOS/")),
    ("Chrome", re.compile(r"\bChrome/|\bCriOS/|\bChromium/")),
    ("Safari", re.compile(r"\bSafari/")),
]
SYSTEMS = [
    ("iOS", re.compile(r"\biPhone|\biPad|\biPod")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMacintosh\b|\bMac OS X\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Linux", re.compile(r"\bLinux\b")),
]


def _first(patterns: list[tuple[str, re.Pattern]], text: str) -> str:
    return next((name for name, pattern in patterns if pattern.search(text)), "")


def describe(user_agent: str) -> str:
    """ "Firefox on Windows", or what little can be told."""
    browser = _first(BROWSERS, user_agent) or "Unknown browser"
    system = _first(SYSTEMS, user_agent)
    return f"{browser} on {system}" if system else browser


def network(ip: str) -> str:
    """The network an address belongs to: its /24 (IPv4) or /48 (IPv6)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if address.version == IPV4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def fingerprint(user_agent: str, ip: str) -> str:
    parts = [_first(BROWSERS, user_agent), _first(SYSTEMS, user_agent), network(ip)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def note_sign_in(
    request: HttpRequest, user: User, ip: str, ua: str, *, event: Event
) -> None:
    """Remember the device of this sign-in; mail the owner if it is new.
    Writes the sign-in's `event` too, in the same statement as the read.

    New means unseen on this account, or unused for NEW_DEVICE_AFTER. One
    indexed read per sign-in; a write only for a new device, or once a day
    for a known one.
    """
    now = timezone.now()
    key = fingerprint(ua, ip)
    device = _device_and_event(user, key, event)
    if device is None or device.fingerprint != key:
        # Two sign-ins at once from a new device: the second writes nothing.
        KnownDevice.objects.bulk_create(
            [
                KnownDevice(
                    user=user,
                    fingerprint=key,
                    description=describe(ua),
                    first_seen=now,
                    last_seen=now,
                )
            ],
            ignore_conflicts=True,
        )
        # A first sign-in ever is no news to the person who just signed up.
        if device is not None:
            send_new_device_alert(request, user, ip, ua)
        return
    unused_for = now - device.last_seen
    if unused_for > app_settings.NEW_DEVICE_AFTER:
        send_new_device_alert(request, user, ip, ua)
    if unused_for.days >= 1:
        KnownDevice.objects.filter(pk=device.pk).update(last_seen=now)


class Device(NamedTuple):
    pk: int
    fingerprint: str
    last_seen: datetime


def _device_and_event(user: User, key: str, event: Event) -> Device | None:
    """The one device a sign-in needs to see: this one (fingerprint `key`),
    if the account has it, else any; one read answers both questions (is
    this device known, and is any?). The INSERT of `event` goes with it, in
    the same statement."""
    insert, values, connection = sql_insert(event)

    def col(name: str) -> str:
        return column(KnownDevice, name, connection)

    table = connection.ops.quote_name(KnownDevice._meta.db_table)
    select = (
        f"SELECT {col('id')}, {col('fingerprint')}, {col('last_seen')} "  # noqa: S608 (names from the models)
        f"FROM {table} WHERE {col('user')} = %s "
        f"ORDER BY {col('fingerprint')} = %s DESC LIMIT 1"
    )
    with connection.cursor() as cursor:
        execute_after(cursor, (insert, values), (select, [user.pk, key]), name="event")
        row = cursor.fetchone()
    if row is None:
        return None
    pk, found, last_seen = row
    chain = converters(KnownDevice, "last_seen", connection)
    return Device(pk, found, converted(last_seen, chain, connection))


def send_new_device_alert(request: HttpRequest, user: User, ip: str, ua: str) -> None:
    get_adapter(request).send_notification_mail(
        "activity/email/new_sign_in",
        user,
        {
            "device": describe(ua),
            "sign_in_ip": ip,
            "sessions_url": request.build_absolute_uri(reverse("usersessions_list")),
        },
    )
