"""`manage.py check_mail_dns DOMAIN`: are SPF, DKIM and DMARC published for
the domain we send from, and do they align (mail/dns_check.py)?"""

from __future__ import annotations

from email.utils import parseaddr

import dns.exception
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mail import dns_check
from mail.app_settings import app_settings


class Command(BaseCommand):
    help = (
        "Look up DOMAIN's SPF, DKIM and DMARC records and say which are missing "
        "or misaligned with DEFAULT_FROM_EMAIL. Exits 1 when any is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("domain")
        parser.add_argument(
            "--selector",
            action="append",
            default=[],
            help="a DKIM selector to look up (your provider's); repeatable. "
            "Default: DKIM_SELECTOR.",
        )
        parser.add_argument(
            "--nameserver",
            help="ask this DNS server (host or host:port) instead of the system's",
        )

    def handle(self, *args: object, **options: object) -> None:
        domain = str(options["domain"]).lower().rstrip(".")
        selectors = list(options["selector"] or [])  # type: ignore[call-overload]
        if not selectors and app_settings.DKIM_SELECTOR:
            selectors = [app_settings.DKIM_SELECTOR]
        from_domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
        lookup = dns_check.resolver_lookup(options["nameserver"] or None)  # type: ignore[arg-type]
        try:
            report = dns_check.check(
                domain,
                lookup,
                selectors=selectors,
                from_domain=from_domain,
                own_key=(app_settings.DKIM_SELECTOR, app_settings.DKIM_PRIVATE_KEY),
            )
        except dns.exception.DNSException as exc:
            msg = f"DNS lookup failed: {type(exc).__name__}: {exc}"
            raise CommandError(msg) from exc
        for finding in report.findings:
            self.stdout.write(f"{finding.check:<10} {finding.status:<8} {finding.text}")
        if report.problems:
            names = ", ".join(sorted({f.check for f in report.problems}))
            msg = f"{len(report.problems)} problem(s) with {domain}: {names}"
            raise CommandError(msg)
