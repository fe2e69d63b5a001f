"""Mail delivery: the transactional outbox.

Every email of the service is rendered by the app that sends it and handed
to `outbox.enqueue` inside the transaction that caused it. From there this
app owns it: the `OutgoingEmail` row (models.py), the engine that claims,
sends, retries and sweeps rows (outbox.py), the thin Celery tasks that run
it (tasks.py), its admin, its settings (app_settings.py) and `manage.py
outbox_status`. It knows nothing of accounts: what a failed message means,
and how to send a fresh one, is the sender's policy (MAIL_RESENDER).
"""
