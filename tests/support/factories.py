"""factory_boy factories that build real rows."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from users.models import User

PASSWORD = "tidal-Forest-lantern-42"


class UserFactory(factory.django.DjangoModelFactory):
    """A user whose address is verified, so they can log in."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs) -> None:
        if create:
            EmailAddress.objects.create(
                user=self,
                email=self.email,
                primary=True,
                verified=extracted is not False,
            )
