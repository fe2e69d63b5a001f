"""Mail delivery: the transactional outbox.

Every email of the service is rendered by the app that sends it and handed
to `outbox.enqueue` inside the transaction that caused it. From there this
app owns it: the `OutgoingEmail` row (models.py), the engine that claims,
sends, retries and sweeps rows (outbox.py), the thin Celery tasks that run
it (tasks.py), its admin, its settings (app_settings.py) and `manage.py
outbox_status`. It also owns how a message looks on the wire (messages.py),
sending through an email service provider (providers.py) or SMTP with DKIM
(backends.py, dkim.py), the providers' bounce and complaint webhooks
(webhooks.py), the undeliverable addresses they lead to (suppression.py) and
`manage.py check_mail_dns`. It knows nothing of accounts: what a failed
message means, how to send a fresh one (MAIL_RESENDER), and what a person is
told about an undeliverable address, is the sender's policy.
"""
