"""factory_boy factories that build real rows."""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import TYPE_CHECKING

import factory
import pyotp
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.webauthn.internal.auth import WebAuthn
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticationExtensionsClientOutputs,
    AuthenticatorAttestationResponse,
    AuthenticatorData,
    CollectedClientData,
    RegistrationResponse,
)

from mail.models import OutgoingEmail
from users.models import User

if TYPE_CHECKING:
    from allauth.mfa.models import Authenticator

PASSWORD = "tidal-Forest-lantern-42"


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A user whose address is verified, so they can log in."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs) -> None:  # noqa: FBT001 (factory_boy passes them so)
        if create:
            EmailAddress.objects.create(
                user=self,
                email=self.email,
                primary=True,
                verified=extracted is not False,
            )


class OutgoingEmailFactory(factory.django.DjangoModelFactory[OutgoingEmail]):
    """An outbox row, pending unless told otherwise, with a live-looking link."""

    class Meta:
        model = OutgoingEmail

    to = "out@example.com"
    subject = "Confirm your email"
    body_text = "secret link http://testserver/accounts/confirm-email/KEY/"
    kind = "verification"
    idempotency_key = factory.Sequence(lambda n: f"factory-{n}")


def give_totp(user: User) -> str:
    """Give `user` an authenticator app; its secret, to compute codes with."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def give_recovery_codes(user: User) -> list[str]:
    """Give `user` recovery codes, as enrolling a first factor does; the codes."""
    return RecoveryCodes.activate(user).get_unused_codes()


def fresh_totp_code(secret: str) -> str:
    """The app's current code, with time left in its 30 s window to use it
    twice."""
    totp = pyotp.TOTP(secret)
    if totp.interval - time.time() % totp.interval < 5:
        time.sleep(totp.interval - time.time() % totp.interval + 0.1)
    return totp.now()


def give_security_key(
    user: User, name: str, rp_id: str = "testserver"
) -> Authenticator:
    """Give `user` a passkey as a browser registers one: a fresh P-256 key
    pair and "none" attestation, built with fido2's own types. Enough for
    every page that shows or manages keys; signing in with one takes a real
    authenticator (tests/e2e/test_passkeys.py)."""
    public_key = ES256.from_cryptography_key(
        ec.generate_private_key(ec.SECP256R1()).public_key()
    )
    credential_id = os.urandom(16)
    flags = AuthenticatorData.FLAG
    auth_data = AuthenticatorData.create(
        hashlib.sha256(rp_id.encode()).digest(),
        flags.UP | flags.UV | flags.AT,
        0,
        AttestedCredentialData.create(bytes(16), credential_id, public_key),
    )
    registration = RegistrationResponse(
        raw_id=credential_id,
        response=AuthenticatorAttestationResponse(
            client_data=CollectedClientData.create(
                "webauthn.create", os.urandom(32), f"http://{rp_id}"
            ),
            attestation_object=AttestationObject.create("none", auth_data, {}),
        ),
        # A discoverable credential: a passkey.
        client_extension_results=AuthenticationExtensionsClientOutputs(
            {"credProps": {"rk": True}}
        ),
    )
    credential = json.loads(json.dumps(dict(registration)))
    return WebAuthn.add(user, name, credential).instance
