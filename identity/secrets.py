"""Client secrets: made once, shown once, stored as a salted SHA-256.

A secret is 50 random characters (about 290 bits), so no one guesses it
from its digest, and a slow password hash would only make every token
request pay for it: allauth checks the secret with Django's
`check_password`, which finds this hasher by its name
(PASSWORD_HASHERS lists it last, so no password ever uses it).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from allauth.idp.oidc.adapter import get_adapter
from django.contrib.auth.hashers import BasePasswordHasher, make_password, mask_hash
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from allauth.idp.oidc.models import Client

ALGORITHM = "client_secret_sha256"


class ClientSecretHasher(BasePasswordHasher):
    algorithm = ALGORITHM

    def encode(self, password: str, salt: str) -> str:
        self._check_encode_args(password, salt)  # type: ignore[attr-defined]
        digest = hashlib.sha256(f"{salt}${password}".encode()).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {
            gettext_noop("algorithm"): decoded["algorithm"],
            gettext_noop("salt"): mask_hash(decoded["salt"], show=2),
            gettext_noop("hash"): mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password: str, encoded: str) -> None:
        """Nothing to even out: every secret costs the same."""


def new_secret(client: Client) -> str:
    """Give `client` a new secret (unsaved); the secret, to show once."""
    secret = get_adapter().generate_client_secret()
    client.secret = make_password(secret, hasher=ALGORITHM)
    return secret
