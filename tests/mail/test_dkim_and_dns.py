"""DKIM signing of mail sent by SMTP (verified with dkimpy against the
public key), and `manage.py check_mail_dns` against a local DNS stand-in."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import CommandError, call_command
from django.utils import timezone

from mail import outbox
from mail.dkim import public_record
from mail.models import OutgoingEmail
from tests.support.dns_server import FakeDNS

KEY = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    .decode()
)
OTHER_KEY = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1
        serialization.NoEncryption(),
    )
    .decode()
)


@pytest.fixture
def smtp(mailbox, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "mail.backends.SMTPBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": mailbox.port, "timeout": 5},
        }
    }
    settings.DEFAULT_FROM_EMAIL = "Accounts <accounts@example.com>"
    return mailbox


def send_one(to: str = "reader@example.org") -> OutgoingEmail:
    row = OutgoingEmail.objects.create(
        to=to,
        subject="Confirm your email",
        body_text="Your link:\nhttps://accounts.example.com/accounts/confirm-email/K/\n",
        body_html='<p><a href="https://accounts.example.com/x">x</a></p>',
        kind="verification",
        idempotency_key=f"dkim-{to}",
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )
    outbox.deliver(row.pk)
    return row


def dns_with(key_pem: str):
    def dnsfunc(name: bytes, timeout: int = 5) -> bytes:
        if name.rstrip(b".") == b"mail2026._domainkey.example.com":
            return public_record(key_pem).encode()
        return b""

    return dnsfunc


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_session_worker")
class TestDKIM:
    def test_mail_sent_by_smtp_is_signed_as_the_from_domain(self, smtp, settings):
        settings.DKIM_SELECTOR = "mail2026"
        settings.DKIM_PRIVATE_KEY = KEY

        send_one()

        (received,) = smtp.wait_for(to="reader@example.org")
        signature = received.message["DKIM-Signature"]
        assert "d=example.com" in signature.replace(" ", "")
        assert "s=mail2026" in signature.replace(" ", "")
        assert dkim.verify(received.data, dnsfunc=dns_with(KEY))

    def test_a_pkcs1_key_signs_too(self, smtp, settings):
        settings.DKIM_SELECTOR = "mail2026"
        settings.DKIM_PRIVATE_KEY = OTHER_KEY

        send_one()

        (received,) = smtp.wait_for(to="reader@example.org")
        assert dkim.verify(received.data, dnsfunc=dns_with(OTHER_KEY))

    def test_the_signature_fails_against_another_key(self, smtp, settings):
        settings.DKIM_SELECTOR = "mail2026"
        settings.DKIM_PRIVATE_KEY = KEY

        send_one()

        (received,) = smtp.wait_for(to="reader@example.org")
        assert not dkim.verify(received.data, dnsfunc=dns_with(OTHER_KEY))

    def test_the_signature_covers_the_headers_that_matter(self, smtp, settings):
        settings.DKIM_SELECTOR = "mail2026"
        settings.DKIM_PRIVATE_KEY = KEY

        send_one()

        (received,) = smtp.wait_for(to="reader@example.org")
        signed = received.message["DKIM-Signature"].replace(" ", "").lower()
        headers = signed.split("h=")[1].split(";")[0].split(":")
        for name in ("from", "to", "subject", "date", "message-id", "auto-submitted"):
            assert name in headers

    def test_without_a_key_nothing_is_signed(self, smtp, settings):
        settings.DKIM_SELECTOR = ""
        settings.DKIM_PRIVATE_KEY = ""

        send_one()

        (received,) = smtp.wait_for(to="reader@example.org")
        assert received.message["DKIM-Signature"] is None


# --- check_mail_dns ------------------------------------------------------------


GOOD = {
    "example.com": [
        "v=spf1 include:_spf.example.net -all",
        "google-site-verification=x",
    ],
    "mail2026._domainkey.example.com": [public_record(KEY)],
    "_dmarc.example.com": ["v=DMARC1; p=reject; rua=mailto:dmarc@example.com"],
}


@pytest.fixture
def dns_records(settings):
    settings.DEFAULT_FROM_EMAIL = "Accounts <accounts@example.com>"
    settings.DKIM_SELECTOR = "mail2026"
    settings.DKIM_PRIVATE_KEY = KEY
    servers: list[FakeDNS] = []

    def serve(records: dict[str, list[str]]) -> str:
        server = FakeDNS(records)
        servers.append(server)
        return server.address

    yield serve
    for server in servers:
        server.stop()


def run(domain: str, nameserver: str, *args: str) -> str:
    out = StringIO()
    call_command(
        "check_mail_dns", domain, "--nameserver", nameserver, *args, stdout=out
    )
    return out.getvalue()


def test_a_domain_with_everything_published_passes(dns_records):
    output = run("example.com", dns_records(GOOD))

    assert "SPF        ok       v=spf1 include:_spf.example.net -all" in output
    assert (
        "DKIM       ok       key published at mail2026._domainkey.example.com" in output
    )
    assert "DMARC      ok       v=DMARC1; p=reject" in output
    assert "alignment  ok" in output


def test_missing_records_are_named(dns_records):
    nameserver = dns_records({"example.com": ["google-site-verification=x"]})

    with pytest.raises(
        CommandError, match=r"3 problem\(s\) with example.com: DKIM, DMARC, SPF"
    ):
        run("example.com", nameserver)


def test_a_published_key_that_is_not_ours_is_wrong(dns_records):
    records = GOOD | {"mail2026._domainkey.example.com": [public_record(OTHER_KEY)]}

    with pytest.raises(CommandError, match="DKIM"):
        run("example.com", dns_records(records))


def test_a_providers_selector_is_looked_up(dns_records, settings):
    settings.DKIM_PRIVATE_KEY = ""
    records = GOOD | {"pm20261201._domainkey.example.com": ["k=rsa; p=MIIBIjAN"]}

    output = run("example.com", dns_records(records), "--selector", "pm20261201")

    assert "key published at pm20261201._domainkey.example.com" in output


def test_a_from_domain_that_does_not_align_is_named(dns_records, settings):
    settings.DEFAULT_FROM_EMAIL = "Accounts <accounts@other.example>"

    with pytest.raises(CommandError, match="alignment"):
        run("example.com", dns_records(GOOD))


def test_strict_alignment_refuses_a_subdomain(dns_records, settings):
    settings.DEFAULT_FROM_EMAIL = "accounts@mail.example.com"
    records = GOOD | {"_dmarc.example.com": ["v=DMARC1; p=quarantine; adkim=s"]}

    with pytest.raises(CommandError, match="alignment"):
        run("example.com", dns_records(records))


def test_dmarc_falls_back_to_the_organisational_domain(dns_records, settings):
    settings.DEFAULT_FROM_EMAIL = "accounts@mail.example.com"
    records = {
        "mail.example.com": GOOD["example.com"],
        "mail2026._domainkey.mail.example.com": [public_record(KEY)],
        "_dmarc.example.com": GOOD["_dmarc.example.com"],
    }

    output = run("mail.example.com", dns_records(records))

    assert "at _dmarc.example.com" in output


@pytest.mark.parametrize(
    ("spf", "said"),
    [
        (["v=spf1 +all"], "lets every server send"),
        (["v=spf1 include:a.example"], "ends without -all"),
        (["v=spf1 -all", "v=spf1 ~all"], "2 SPF records"),
    ],
)
def test_a_bad_spf_record_is_named(dns_records, spf, said):
    nameserver = dns_records(GOOD | {"example.com": spf})
    out = StringIO()

    with pytest.raises(CommandError, match="SPF"):
        call_command(
            "check_mail_dns", "example.com", "--nameserver", nameserver, stdout=out
        )

    assert said in out.getvalue()
