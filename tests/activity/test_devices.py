"""Device fingerprints, and the alert for a sign-in from a new device."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activity.devices import describe, fingerprint, network
from activity.models import KnownDevice
from mail.models import OutgoingEmail
from tests.support.factories import PASSWORD
from tests.support.flows import link_in

CHROME_156 = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)
CHROME_157 = CHROME_156.replace("156.0.0.0", "157.0.7000.12")
EDGE = CHROME_156 + " Edg/156.0.1.2"
FIREFOX_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 15.3; rv:140.0) "
    "Gecko/20100101 Firefox/140.0"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.2 Mobile/15E148 Safari/604.1"
)
SAMSUNG = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918N) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    ("user_agent", "described"),
    [
        (CHROME_156, "Chrome on Windows"),
        (EDGE, "Edge on Windows"),
        (FIREFOX_MAC, "Firefox on macOS"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (SAMSUNG, "Samsung Internet on Android"),
        ("curl/8.5.0", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_devices_are_described_by_browser_and_system(user_agent, described):
    assert describe(user_agent) == described


def test_a_browser_update_is_the_same_device():
    assert fingerprint(CHROME_156, "203.0.113.7") == fingerprint(
        CHROME_157, "203.0.113.7"
    )


def test_another_address_on_the_same_network_is_the_same_device():
    assert fingerprint(CHROME_156, "203.0.113.7") == fingerprint(
        CHROME_156, "203.0.113.250"
    )
    assert network("2001:db8:1234:5::1") == network("2001:db8:1234:ffff::2")


@pytest.mark.parametrize(
    ("user_agent", "ip"),
    [
        (EDGE, "203.0.113.7"),  # another browser
        (CHROME_156.replace("Windows NT 10.0", "X11; Linux x86_64"), "203.0.113.7"),
        (CHROME_156, "198.51.100.7"),  # another network
    ],
)
def test_another_browser_system_or_network_is_a_new_device(user_agent, ip):
    assert fingerprint(user_agent, ip) != fingerprint(CHROME_156, "203.0.113.7")


@pytest.mark.parametrize("ip", ["", "not-an-ip", "999.1.1.1"])
def test_an_address_that_is_no_address_has_no_network(ip):
    assert network(ip) == ""


def sign_in(user, user_agent: str, ip: str = "127.0.0.1") -> None:
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302


def alerts(user) -> list[OutgoingEmail]:
    """The new sign-in alerts queued for `user`: notifications that point to
    the sessions page."""
    mail = OutgoingEmail.objects.filter(to=user.email, kind="notification")
    return [m for m in mail if "/accounts/sessions/" in m.body_text]


@pytest.mark.django_db
def test_a_first_sign_in_ever_is_no_news(user):
    sign_in(user, CHROME_156)

    assert alerts(user) == []
    assert KnownDevice.objects.get(user=user).description == "Chrome on Windows"


@pytest.mark.django_db
def test_a_new_device_is_mailed_once_and_a_browser_update_not_at_all(user):
    sign_in(user, CHROME_156)
    sign_in(user, FIREFOX_MAC)
    sign_in(user, FIREFOX_MAC)
    sign_in(user, CHROME_157)

    (alert,) = alerts(user)
    assert "Firefox on macOS" in alert.body_text
    assert "127.0.0.1" in alert.body_text
    assert link_in(alert.body_text, "/accounts/sessions/")


@pytest.mark.django_db
def test_a_device_unused_for_90_days_counts_as_new_again(user):
    sign_in(user, CHROME_156)
    sign_in(user, FIREFOX_MAC)
    KnownDevice.objects.filter(user=user, description="Firefox on macOS").update(
        last_seen=timezone.now() - timedelta(days=91)
    )
    # The same device (its network's /24), from another of its addresses, so
    # that the outbox does not take the second alert for the first again.
    sign_in(user, FIREFOX_MAC, ip="127.0.0.2")
    KnownDevice.objects.filter(user=user, description="Firefox on macOS").update(
        last_seen=timezone.now() - timedelta(days=89)
    )
    sign_in(user, FIREFOX_MAC, ip="127.0.0.3")

    assert len(alerts(user)) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "time"),
    [
        ("en", r"- Time: \w{3}\.? \d+, \d{4}, \d+(:\d\d)? [ap]\.m\. UTC"),
        ("ko", r"- 시각: \d{4}년 \d+월 \d+일 (오전|오후) \d+:\d\d UTC"),
    ],
)
def test_the_alert_names_the_zone_of_its_time(user, language, time):
    user.language = language
    user.save()
    sign_in(user, CHROME_156)
    sign_in(user, FIREFOX_MAC)

    (alert,) = alerts(user)
    assert re.search(time, alert.body_text), alert.body_text
