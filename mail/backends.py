"""The SMTP backend of mail sent through our own relay (EMAIL_URL): Django's,
signing each message with DKIM when DKIM_PRIVATE_KEY and DKIM_SELECTOR are
set (mail/dkim.py)."""

from __future__ import annotations

import email.policy
import smtplib

from django.core.mail.backends import smtp

from mail import dkim


class SMTPBackend(smtp.EmailBackend):
    # Django's hook for one message, which its stubs do not declare.
    def _send(self, email_message) -> bool:
        if not dkim.is_configured():
            return super()._send(email_message)  # type: ignore[misc]
        if not email_message.recipients():
            return False
        from_email = self.prep_address(email_message.from_email)
        recipients = [self.prep_address(addr) for addr in email_message.recipients()]
        message = email_message.message(policy=email.policy.SMTP).as_bytes()
        signed = dkim.sign(message, email_message.from_email)
        assert self.connection is not None  # opened by send_messages
        try:
            self.connection.sendmail(from_email, recipients, signed)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
