"""allauth functions our policy replaces, where allauth has no setting or
adapter method for it: it imports each by name into the modules listed, so
each gets ours at start-up (as users/ownership.py does for its own), and
social.checks fails the start if one still holds allauth's."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, NamedTuple

from allauth.account import utils as account_utils
from allauth.socialaccount.internal.flows import connect

from social import disconnect, signup

if TYPE_CHECKING:
    from collections.abc import Callable


class Replacement(NamedTuple):
    modules: tuple[str, ...]
    name: str
    original: Callable
    ours: Callable


REPLACEMENTS = [
    # A new account from a provider: its address, verified only as
    # social/claims.py decides, whatever another account merely added.
    Replacement(
        ("allauth.socialaccount.models",),
        "setup_user_email",
        account_utils.setup_user_email,
        signup.setup_user_email,
    ),
    # Unlinking: only while a password, a passkey or another provider remains.
    Replacement(
        (
            "allauth.socialaccount.internal.flows.connect",
            "allauth.headless.socialaccount.inputs",
        ),
        "validate_disconnect",
        connect.validate_disconnect,
        disconnect.validate_disconnect,
    ),
]


def install_in_allauth() -> None:
    for replacement in REPLACEMENTS:
        for name in replacement.modules:
            module = importlib.import_module(name)
            setattr(module, replacement.name, replacement.ours)


def modules_with_allauths_originals() -> list[str]:
    return sorted(
        f"{name}.{replacement.name}"
        for replacement in REPLACEMENTS
        for name in replacement.modules
        if getattr(sys.modules.get(name), replacement.name, None)
        is replacement.original
    )
