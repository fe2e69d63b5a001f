"""Sign-in with Kakao, Naver, Google or an OpenID Connect provider
(allauth.socialaccount), linked to accounts without takeovers.

allauth runs the protocols; this app holds our policy for what an incoming
identity may do here:

- It is matched by (provider, subject) alone, never by address
  (SOCIALACCOUNT_EMAIL_AUTHENTICATION is off).
- Its address counts as verified only when the provider asserts it and is
  trusted for email (claims.py; OIDC_RP_TRUST_EMAIL, or staff's flag in the
  admin). An address a provider merely reports is stored unverified, and a
  signup made with it keeps its provider link only if the address is then
  verified in the same browser (users/verification.py), as a typed password
  does.
- A new identity whose address belongs to an account never signs in to it:
  the answer is the one a signup with a taken address gets, and the
  account's owner is mailed, with a link to approve the connection when the
  provider is trusted and asserted the address (linking.py).
- A change of address at the provider changes nothing here.
- A provider is unlinked only while another way in remains (disconnect.py).
"""
