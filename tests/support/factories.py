"""factory_boy factories that build real rows."""

from __future__ import annotations

import time

import factory
import pyotp
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from mail.models import OutgoingEmail
from users.models import User

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


def fresh_code(secret: str) -> str:
    """The authenticator's current code, with time left in its 30 s window
    to use it (allauth accepts no code of a neighbouring window)."""
    totp = pyotp.TOTP(secret)
    if totp.interval - time.time() % totp.interval < 5:
        time.sleep(totp.interval - time.time() % totp.interval + 0.1)
    return totp.now()
