"""DKIM (RFC 6376) for mail we send by SMTP ourselves, with dkimpy.

A provider signs what it sends with its own keys for our domain; mail that
leaves through our own relay is signed here, with DKIM_PRIVATE_KEY, as
`d=<the From address's domain>` (so that DMARC finds DKIM aligned) and
`s=DKIM_SELECTOR`. The public key goes in DNS at
`<selector>._domainkey.<domain>`: `public_record()` prints the TXT value,
and `manage.py check_mail_dns` checks it is there and matches.
"""

from __future__ import annotations

import base64
from email.utils import parseaddr

import dkim
from cryptography.hazmat.primitives import serialization

from mail.app_settings import app_settings

# Relaxed for headers and body: relays that rewrap lines or fix trailing
# whitespace do not break the signature.
CANONICALIZATION = (b"relaxed", b"relaxed")
# Headers signed besides dkimpy's defaults (From, To, Subject, Date,
# Message-ID, MIME headers, ...).
EXTRA_SIGNED = (b"auto-submitted",)


def is_configured() -> bool:
    return bool(app_settings.DKIM_SELECTOR and app_settings.DKIM_PRIVATE_KEY)


def domain_of(from_email: str) -> str:
    return parseaddr(from_email)[1].rpartition("@")[2].lower()


def sign(message: bytes, from_email: str) -> bytes:
    """`message` with a DKIM-Signature header in front."""
    signer = dkim.DKIM(message, linesep=b"\r\n")
    headers = [*signer.default_sign_headers(), *EXTRA_SIGNED]
    signature = dkim.sign(
        message,
        app_settings.DKIM_SELECTOR.encode(),
        domain_of(from_email).encode("idna"),
        app_settings.DKIM_PRIVATE_KEY.encode(),
        canonicalize=CANONICALIZATION,
        include_headers=headers,
        linesep=b"\r\n",
    )
    return signature + message


def public_record(private_key_pem: str) -> str:
    """The DNS TXT value that publishes the public half of `private_key_pem`."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"
