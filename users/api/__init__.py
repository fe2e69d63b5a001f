"""Our JSON API, beside allauth's headless one under /_allauth/.

One module per concern:

- views.py: our endpoints (`/api/me`, `/api/token/refresh`).
- authentication.py: who is calling (JWT, app session token, cookie).
- errors.py: allauth's error shape for every API error.
- refresh_cookie.py: the refresh token in an HttpOnly cookie.
- jwt_strategy.py: allauth's JWTs, with refresh-token reuse detection.
- spec.py: the served OpenAPI contract; contract.py enforces it.
- urls.py: the routes of all of it.
"""
