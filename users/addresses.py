"""Email addresses: their one spelling.

Many spellings reach one mailbox: fullwidth letters, the `fi` ligature (U+FB01),
an ideographic full stop (U+3002) for the dot, `bücher.de` and its punycode
`xn--bcher-kva.de`. `canonical_email` turns each into the same
string, and every address is canonicalised before it is compared, stored or
rate-limited, so one mailbox can only ever hold one account. Plus-addressing
(`ada+news@`) stays distinct, as mail providers treat it.

Which account an address belongs to is users/ownership.py's question.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

import idna
from allauth.account.fields import EmailField as AllauthEmailField
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from collections.abc import Iterable

INVALID = _("Enter a valid email address.")
# Canonical addresses are printable ASCII (Django's validator admits no
# other local part, and domains are punycode): any other character means a
# spelling that skipped canonical_email. A regular expression both
# PostgreSQL and SQLite read alike.
CANONICAL_VIOLATION = r"[^ -~]"


def canonical_email(address: str) -> str:
    """The canonical spelling of `address`: NFKC, lower case, and the domain
    in its IDNA (UTS #46) ASCII form.

    Raises ValidationError when there is no domain, or when the domain is not
    a valid internationalised name. The result is not otherwise validated:
    callers still run Django's `validate_email` on it.
    """
    folded = unicodedata.normalize("NFKC", address).strip()
    local, at, domain = folded.rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(INVALID, code="invalid")
    return f"{local.lower()}@{_ascii_domain(domain)}"


@functools.lru_cache(maxsize=1024)
def _ascii_domain(domain: str) -> str:
    """A domain's IDNA (UTS #46) ASCII form, for canonical_email; kept for
    the domains seen most. A login canonicalises its address four times, and
    the idna package's encoding was the costliest part of each."""
    try:
        # UTS #46 maps full stops such as U+3002 to "." and lowercases.
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise ValidationError(INVALID, code="invalid") from None
    # A trailing dot names the same domain (example.com. is example.com).
    ascii_domain = ascii_domain.removesuffix(".")
    if not ascii_domain:
        raise ValidationError(INVALID, code="invalid")
    return ascii_domain


def canonical_or_none(address: str | None) -> str | None:
    """`canonical_email`, or None for an address that has no canonical form."""
    try:
        return canonical_email(address or "")
    except ValidationError:
        return None


def canonical_to_python(field: forms.EmailField, value: object) -> str:
    """`to_python` of an email form field: any spelling in, the canonical one
    out, before the field's validators run."""
    text = forms.EmailField.to_python(field, value) or ""
    return canonical_email(text) if text else text


class CanonicalEmailField(forms.EmailField):
    """A form field taking any spelling of an address, cleaned to its
    canonical one; for our own forms (the admin's)."""

    to_python = canonical_to_python


def canonicalise_allauth_email_fields() -> None:
    """Make the email field of every allauth form and API input canonicalise.

    Signup, login, password reset, adding an address and login by code, on
    pages and over the headless API, all read the address through
    `allauth.account.fields.EmailField`, which only lowercases. allauth has
    no setting for this, so its `to_python` is replaced once at start-up:
    from there on, rate limits, lookups and recipients all see the canonical
    address. `users.checks` fails the start if this ever stops being so.
    """
    AllauthEmailField.to_python = canonical_to_python


def stored_spelling(stored: str) -> str:
    """What a row already in the database becomes: its canonical spelling, or,
    for an address that has none, the stored one lowercased."""
    return canonical_or_none(stored) or stored.strip().lower()


def spelling_conflicts(
    users: Iterable[tuple[int, str]],
    verified_addresses: Iterable[tuple[int, str]],
) -> list[list[tuple[str, int, str]]]:
    """Stored rows that cannot all take their canonical spelling.

    `users` are (user id, User.email) pairs and `verified_addresses` (user
    id, EmailAddress.email) pairs of verified rows. A conflict is a group of
    (table, user id, stored spelling): rows of different accounts that reach
    one mailbox, or a row whose address has no canonical form and is not
    plain lowercase ASCII either.
    """
    groups: dict[tuple[str, str], list[tuple[str, int, str]]] = {}
    for table, rows in (("user", users), ("emailaddress", verified_addresses)):
        for user_id, stored in rows:
            key = (table, stored_spelling(stored))
            groups.setdefault(key, []).append((table, user_id, stored))
    return [
        rows
        for (_table, spelling), rows in groups.items()
        if len({user_id for _t, user_id, _s in rows}) > 1
        or re.search(CANONICAL_VIOLATION, spelling)
    ]
