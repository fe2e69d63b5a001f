"""What happens to outgoing email, for whoever counts it (ops/metrics.py).

Each is sent with `count_of`, the number of emails it is about.
"""

from django.dispatch import Signal

# The SMTP server accepted an email.
email_sent = Signal()
# An email was given up on: a permanent refusal, or out of attempts.
email_failed = Signal()
# An attempt failed and the email waits for a later one.
email_deferred = Signal()
