"""Password validators of our own."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MaximumLengthValidator:
    """Refuse absurdly long passwords.

    NIST SP 800-63B asks to accept at least 64 characters; 1024 leaves room for
    any passphrase while refusing megabyte "passwords" sent to waste CPU.
    """

    def __init__(self, max_length: int = 1024) -> None:
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most "
                    "%(max_length)d character.",
                    "This password is too long. It must contain at most "
                    "%(max_length)d characters.",
                    self.max_length,
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be longer than %(max_length)d characters.") % {
            "max_length": self.max_length
        }
