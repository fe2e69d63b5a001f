"""Our side of the OpenID Connect provider (allauth.idp.oidc).

Other apps (an admin tool, a mobile app, a partner's site) sign people in
through this service. allauth runs the protocol; this app holds what it
leaves to us: who an app sees (adapter.py: the issuer, a subject that is
neither the database id nor the address, the claims), the gate in front of
its endpoints (views.py: unknown apps and unregistered redirect URIs get our
error page, PKCE only with S256, a reused authorization code revokes what it
issued), the record of each authorization (models.Grant) and its revocation
when a session ends, the password changes or the person takes access back
(grants.py, /profile/apps/), client secrets (secrets.py, the admin and
`manage.py oidc_client`), and the Content-Security-Policy that lets a
browser finish a sign-in (middleware.py).
"""
