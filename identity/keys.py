"""The provider's signing key, parsed once per process.

allauth's provider parses the PEM of its signing key for every ID token it
signs and every JWKS it serves (`jwkkit.load_jwk_from_pem`), and parsing an
RSA private key checks it at length: about 70 ms of CPU, most of a token
request here (bench/oidc.py). allauth's own JWT code caches the same parse;
its provider reaches the function through its module, so the module gets a
cached one at start-up (identity.apps), and identity.checks fails the start
if it does not hold it.
"""

from __future__ import annotations

import functools
from typing import Any

from allauth.core.internal import jwkkit

_parse = jwkkit.load_jwk_from_pem


@functools.lru_cache(maxsize=8)
def _parsed(pem: str) -> tuple[dict[str, Any], Any]:
    return _parse(pem)


def load_jwk_from_pem(pem: str) -> tuple[dict[str, Any], Any]:
    jwk, private_key = _parsed(pem)
    return dict(jwk), private_key  # a copy: callers may add to it


def install() -> None:
    jwkkit.load_jwk_from_pem = load_jwk_from_pem


def installed() -> bool:
    return jwkkit.load_jwk_from_pem is load_jwk_from_pem
