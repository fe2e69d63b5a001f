"""Security activity: what happened to each account, when and from where.

- models.py: `Event`, one row per sign-in, failed sign-in, change of
  password, address or second factor, ended session, deletion; and
  `KnownDevice`, the devices an account signed in from.
- events.py: `record()`, the one way to write an event (in the transaction
  of what it records), and the pages of a person's events, newest first.
- receivers.py: allauth's and Django's signals, each turned into an event.
- devices.py: a device's stable fingerprint, and the new sign-in alert.
- views.py, admin.py, tasks.py: the person's page, staff's read-only list,
  and the daily purge after ACTIVITY_RETENTION_DAYS.

Events never hold a password, hash, key, token, TOTP seed or recovery code.
When an account is deleted its events stay, the address in them replaced by
a pseudonym (`pseudonymise`).
"""
