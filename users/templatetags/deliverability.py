"""What the email pages show about mail that did or did not arrive
(users/deliverability.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from django import template

from users import deliverability

if TYPE_CHECKING:
    from datetime import datetime

    from mail.models import Suppression

register = template.Library()


@register.simple_tag(takes_context=True)
def undeliverable_addresses(context: template.Context) -> dict[str, Suppression]:
    """The signed-in person's addresses that take no mail from us."""
    return deliverability.undeliverable_addresses(context["request"].user)


@register.simple_tag(takes_context=True)
def verified_addresses(context: template.Context) -> set[str]:
    return set(
        EmailAddress.objects.filter(
            user=context["request"].user, verified=True
        ).values_list("email", flat=True)
    )


@register.simple_tag(takes_context=True)
def verification_mail(
    context: template.Context, address: EmailAddress
) -> deliverability.VerificationMail:
    return deliverability.verification_mail(
        context["request"], address.user_id, address.email
    )


@register.simple_tag(takes_context=True)
def pending_verification(
    context: template.Context,
) -> deliverability.PendingVerification | None:
    return deliverability.pending_verification(context["request"])


@register.filter
def clock(moment: datetime | None) -> str:
    """A time as people read it: 14:05 UTC."""
    return deliverability.time_of(moment) if moment else ""
