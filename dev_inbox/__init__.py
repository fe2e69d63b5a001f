"""A local inbox for `./dev run`: mail the worker sends, readable in the browser.

Development only: only the dev settings install this app. Its email backend
(backend.py) keeps each message as a file; its views (views.py, under
/dev/inbox/) list and show them, so the whole verification flow works with no
mail server.
"""
