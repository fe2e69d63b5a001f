"""Accounts: the email user and everything allauth does for it.

- models.py: `User` and its manager; addresses.py: an address's one
  spelling; ownership.py: the account it belongs to.
- adapter.py: the one seam into allauth (mail, signup, verification and
  reset rules); auth_backends.py, signup.py and stages.py: the few places
  allauth needs more than its adapter.
- emails.py: account email kinds, languages, HTML parts, and how to resend.
- forms.py, views.py, urls.py: the pages of our own; admin.py: staff's.
- hashers.py and password_validation.py: how passwords are kept and judged.
- api/: our JSON API beside allauth's headless one.
"""
