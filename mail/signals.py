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

# What providers reported after taking an email (their webhooks), each sent
# once the transaction that recorded it commits.
email_delivered = Signal()
# `hard` is False for a soft bounce, which only counts towards a hard one.
email_bounced = Signal()
email_complained = Signal()
# An email was not sent: its address is undeliverable.
email_suppressed = Signal()
