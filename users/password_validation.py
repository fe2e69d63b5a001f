"""Password validators of our own."""

import hashlib
import logging
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)


class MaximumLengthValidator:
    """Refuse absurdly long passwords.

    NIST SP 800-63B asks to accept at least 64 characters; 1024 leaves room for
    any passphrase while refusing megabyte "passwords" sent to waste CPU.
    """

    def __init__(self, max_length: int = 1024) -> None:
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most "
                    "%(max_length)d character.",
                    "This password is too long. It must contain at most "
                    "%(max_length)d characters.",
                    self.max_length,
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be longer than %(max_length)d characters.") % {
            "max_length": self.max_length
        }


class PwnedPasswordValidator:
    """Refuse passwords seen in data breaches, by Have I Been Pwned's range API.

    Only the first five hex digits of the password's SHA-1 leave the service
    (k-anonymity); the answer lists the suffixes of every breached password
    sharing them. The API being down, slow or odd never blocks a signup:
    the password is accepted and a warning logged.
    """

    def validate(self, password: str, user=None) -> None:
        count = breach_count(password)
        if count:
            raise ValidationError(
                ngettext(
                    "This password has appeared in a data breach %(count)d time, "
                    "so attackers try it first. Choose another.",
                    "This password has appeared in data breaches %(count)d times, "
                    "so attackers try it first. Choose another.",
                    count,
                ),
                code="password_pwned",
                params={"count": count},
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be one that has appeared in a data breach.")


# Lookups run here, so that a caller waits at most PWNED_PASSWORDS_TIMEOUT.
_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pwned")


def _fetch(url: str) -> str:
    # The scheme is checked by the caller (S310).
    request = urllib.request.Request(url, headers={"Add-Padding": "true"})  # noqa: S310
    with urllib.request.urlopen(  # noqa: S310
        request, timeout=settings.PWNED_PASSWORDS_TIMEOUT
    ) as response:
        return response.read(1_000_000).decode("ascii", "replace")


def breach_count(password: str) -> int:
    """How often `password` appears in known breaches; 0 when the API cannot
    say (and a warning is logged)."""
    digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
    prefix, suffix = digest[:5], digest[5:]
    url = f"{settings.PWNED_PASSWORDS_URL.rstrip('/')}/range/{prefix}"
    if not url.startswith(("https://", "http://")):
        logger.warning("PWNED_PASSWORDS_URL is not http(s); password accepted")
        return 0
    try:
        # The timeout bounds the whole lookup, name resolution included,
        # which urllib's own timeout does not cover.
        body = _LOOKUPS.submit(_fetch, url).result(
            timeout=settings.PWNED_PASSWORDS_TIMEOUT
        )
    except (OSError, ValueError, TimeoutError) as exc:
        logger.warning(
            "Breached-password check unavailable (%s); password accepted",
            exc.__class__.__name__,
        )
        return 0
    for line in body.splitlines():
        candidate, _, count = line.strip().partition(":")
        if candidate.upper() == suffix:
            return int(count) if count.isdigit() else 1
    return 0
