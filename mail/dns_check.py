"""What a sending domain publishes in DNS for receivers to trust its mail:
SPF, DKIM and DMARC, and whether they align with our From address
(`manage.py check_mail_dns DOMAIN`).

Since February 2024 Gmail and Yahoo require of bulk senders SPF and DKIM,
a DMARC record, and alignment: the From domain must match (or be a
subdomain of, under relaxed alignment) the DKIM signing domain or the SPF
envelope domain. Mail we send by SMTP is signed as the From domain
(mail/dkim.py), so DKIM aligns by construction when its key is published;
a provider signs with the selectors it gives (`--selector`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import dns.exception
import dns.resolver
from cryptography.hazmat.primitives import serialization

if TYPE_CHECKING:
    from collections.abc import Callable

OK = "ok"
MISSING = "missing"
WRONG = "wrong"
NOTE = "note"


@dataclass
class Finding:
    check: str  # SPF, DKIM, DMARC, alignment
    status: str  # OK, MISSING, WRONG or NOTE
    text: str


@dataclass
class Report:
    domain: str
    findings: list[Finding] = field(default_factory=list)

    def add(self, check: str, status: str, text: str) -> None:
        self.findings.append(Finding(check, status, text))

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.status in (MISSING, WRONG)]


def resolver_lookup(
    nameserver: str | None = None, timeout: float = 5.0
) -> Callable[[str], list[str]]:
    """TXT lookups (each record's strings joined; [] when there is none)
    through the system's resolver, or `nameserver` (host or host:port)."""
    resolver = dns.resolver.Resolver(configure=nameserver is None)
    if nameserver:
        host, _, port = nameserver.partition(":")
        resolver.nameservers = [host]
        resolver.port = int(port or 53)
    resolver.lifetime = timeout

    def lookup(name: str) -> list[str]:
        try:
            answer = resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        return [b"".join(record.strings).decode(errors="replace") for record in answer]

    return lookup


def tags(record: str) -> dict[str, str]:
    """`v=DKIM1; k=rsa; p=...` as a dict, names lowercased."""
    found = {}
    for part in record.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            found[name.strip().lower()] = "".join(value.split())
    return found


def aligned(from_domain: str, other: str, *, strict: bool) -> bool:
    mine, theirs = from_domain.lower().rstrip("."), other.lower().rstrip(".")
    if strict:
        return mine == theirs
    return mine == theirs or mine.endswith(f".{theirs}") or theirs.endswith(f".{mine}")


def check(
    domain: str,
    lookup: Callable[[str], list[str]],
    *,
    selectors: list[str],
    from_domain: str,
    own_key: tuple[str, str] = ("", ""),
) -> Report:
    """Look up and judge `domain`'s SPF, DKIM (at each selector) and DMARC
    records, and their alignment with `from_domain`. `own_key` is our
    (selector, private key PEM): its published key must match."""
    report = Report(domain)
    _check_spf(report, lookup(domain))
    for selector in selectors:
        records = lookup(f"{selector}._domainkey.{domain}")
        key = own_key[1] if selector == own_key[0] else ""
        _check_dkim(report, selector, records, key)
    if not selectors:
        report.add(
            "DKIM",
            MISSING,
            "no selector to look up: set DKIM_SELECTOR, or name your "
            "provider's with --selector",
        )
    policy = _check_dmarc(report, domain, lookup)
    _check_alignment(report, domain, from_domain, policy)
    return report


def _check_spf(report: Report, records: list[str]) -> None:
    spf = [r for r in records if r.lower().startswith("v=spf1")]
    if not spf:
        report.add("SPF", MISSING, f"no TXT record starting v=spf1 at {report.domain}")
        return
    if len(spf) > 1:
        report.add("SPF", WRONG, f"{len(spf)} SPF records; receivers take none of them")
        return
    (record,) = spf
    terms = record.split()
    if "+all" in terms or terms[-1] == "all":
        report.add("SPF", WRONG, f"{record!r} lets every server send as you")
    elif not any(
        t.endswith("all") or t.startswith("redirect=") for t in record.split()
    ):
        report.add("SPF", WRONG, f"{record!r} ends without -all or ~all")
    else:
        report.add("SPF", OK, record)


def _check_dkim(
    report: Report, selector: str, records: list[str], own_key: str
) -> None:
    name = f"{selector}._domainkey.{report.domain}"
    dkim = [tags(r) for r in records if "p=" in r]
    if not dkim:
        report.add("DKIM", MISSING, f"no DKIM key at {name}")
        return
    key = dkim[0]
    if not key.get("p"):
        report.add("DKIM", WRONG, f"the key at {name} is revoked (empty p=)")
        return
    if own_key and key["p"] != _public_key(own_key):
        report.add("DKIM", WRONG, f"the key at {name} is not DKIM_PRIVATE_KEY's")
        return
    report.add("DKIM", OK, f"key published at {name}")


def _public_key(private_key: str) -> str:
    key = serialization.load_pem_private_key(private_key.encode(), password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def _check_dmarc(
    report: Report, domain: str, lookup: Callable[[str], list[str]]
) -> dict[str, str] | None:
    """The DMARC policy of `domain`, or of its organisational domain (its
    parents, down to two labels, as receivers fall back)."""
    labels = domain.rstrip(".").split(".")
    for start in range(len(labels) - 1):
        name = "_dmarc." + ".".join(labels[start:])
        records = [r for r in lookup(name) if r.lower().startswith("v=dmarc1")]
        if records:
            policy = tags(records[0])
            if policy.get("p") not in ("none", "quarantine", "reject"):
                report.add("DMARC", WRONG, f"{records[0]!r} has no valid p= policy")
                return None
            note = " (monitoring only: p=none)" if policy["p"] == "none" else ""
            report.add("DMARC", OK, f"{records[0]} at {name}{note}")
            return policy
    report.add("DMARC", MISSING, f"no TXT record starting v=DMARC1 at _dmarc.{domain}")
    return None


def _check_alignment(
    report: Report, domain: str, from_domain: str, policy: dict[str, str] | None
) -> None:
    strict = bool(policy and policy.get("adkim") == "s")
    if not aligned(from_domain, domain, strict=strict):
        report.add(
            "alignment",
            WRONG,
            f"the From address's domain {from_domain} does not align with "
            f"{domain} ({'strict' if strict else 'relaxed'} DKIM alignment): "
            "DMARC fails for our mail",
        )
        return
    report.add(
        "alignment",
        OK,
        f"From domain {from_domain} aligns with {domain}; mail sent by SMTP is "
        "signed d=" + from_domain,
    )
    report.add(
        "alignment",
        NOTE,
        "through a provider, SPF aligns only with a custom return-path (bounce) "
        "domain under yours; DKIM alignment is enough for DMARC",
    )
