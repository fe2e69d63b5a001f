"""`manage.py oidc_client add NAME --redirect-uri URI [...] [--public]
[--first-party]`: register an app that signs people in through this service.

Prints one JSON object, `{"client_id": ..., "client_secret": ...}` (no secret
for a public client). The secret is shown only then; it is stored hashed.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from allauth.idp.oidc.models import Client
from django.core.management.base import BaseCommand, CommandError, CommandParser

from identity.secrets import new_secret

# What an app registered here may ask for.
SCOPES = ["openid", "profile", "email"]
GRANT_TYPES = [Client.GrantType.AUTHORIZATION_CODE, Client.GrantType.REFRESH_TOKEN]
LOOPBACK = ("127.0.0.1", "::1", "localhost")
MAX_NAME = Client._meta.get_field("name").max_length


def checked_redirect_uri(uri: str) -> str:
    """`uri`, if an app may be sent back to it; else a CommandError saying why.

    https anywhere; http only on this machine (a native app's loopback
    listener, RFC 8252 section 7.3); a native app's own scheme in reverse
    domain form (com.example.app:/callback, section 7.1). Never a fragment or
    a wildcard: a redirect URI is matched exactly.
    """
    try:
        parts = urlsplit(uri)
    except ValueError as exc:
        msg = f"{uri!r} is not a URL."
        raise CommandError(msg) from exc
    if "*" in uri or parts.fragment or any(c.isspace() for c in uri):
        msg = f"{uri!r}: no wildcards, spaces or #fragments in a redirect URI."
        raise CommandError(msg)
    if parts.scheme == "https" and parts.hostname:
        return uri
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return uri
    if parts.scheme == "http":
        msg = f"{uri!r}: use https (http only for 127.0.0.1, ::1 or localhost)."
        raise CommandError(msg)
    if "." in parts.scheme and parts.scheme not in ("http", "https"):
        return uri
    msg = (
        f"{uri!r} is not a redirect URI: use https://..., or a native app's "
        "scheme such as com.example.app:/callback."
    )
    raise CommandError(msg)


class Command(BaseCommand):
    help = "Register an app that signs people in through this service."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser(
            "add", help="Register an app; prints its id and secret."
        )
        add.add_argument("name", help="The app's name, as people see it.")
        add.add_argument(
            "--redirect-uri",
            action="append",
            required=True,
            dest="redirect_uris",
            metavar="URI",
            help="Where the app may be sent back to; repeat for more.",
        )
        add.add_argument(
            "--public",
            action="store_true",
            help="A mobile or single-page app that keeps no secret (PKCE required).",
        )
        add.add_argument(
            "--first-party",
            action="store_true",
            help="An app of this service's own team: no consent page.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name or len(name) > MAX_NAME:
            msg = f"The name must be 1 to {MAX_NAME} characters."
            raise CommandError(msg)
        uris = [checked_redirect_uri(uri.strip()) for uri in options["redirect_uris"]]
        client = Client(
            name=name,
            type=Client.Type.PUBLIC if options["public"] else Client.Type.CONFIDENTIAL,
            skip_consent=options["first_party"],
        )
        client.set_redirect_uris(uris)
        client.set_scopes(SCOPES)
        client.set_default_scopes(["openid"])
        client.set_grant_types(GRANT_TYPES)
        client.set_response_types(["code"])
        answer = {"client_id": client.id}
        if client.type == Client.Type.CONFIDENTIAL:
            answer["client_secret"] = new_secret(client)
        else:
            # A public client has no secret; allauth's default is an
            # unguessable hash of one no one ever sees.
            client.secret = ""
        client.save()
        self.stdout.write(json.dumps(answer))
