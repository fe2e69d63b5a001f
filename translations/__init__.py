"""The site's translation catalogs (locale/), compiled without GNU gettext.

catalogs.py compiles .po to .mo in pure Python; apps.py does it at start-up
for stale catalogs, and `manage.py compile_translations` ahead of time.
"""
