"""Words of allauth's OpenID Connect provider that it leaves outside
gettext, through ours, so that they read in the reader's language.

- Its token types are plain strings, and a token is named after its type in
  English ("Refresh token for user #5"): the admin's token list, its filter,
  its checkboxes' labels and a token's page would read in English on a
  Korean page.
"""

from __future__ import annotations

from allauth.idp.oidc.models import Token
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

TOKEN_TYPES = {
    Token.Type.INITIAL_ACCESS_TOKEN: _("Initial access token"),
    Token.Type.ACCESS_TOKEN: _("Access token"),
    Token.Type.REFRESH_TOKEN: _("Refresh token"),
    Token.Type.AUTHORIZATION_CODE: _("Authorization code"),
}


def type_name(token: Token) -> str:
    return str(TOKEN_TYPES.get(token.type, token.type))


def token_name(token: Token) -> str:
    """In place of allauth's Token.__str__."""
    if token.user_id:
        return gettext("%(type)s (user #%(user)s)") % {
            "type": type_name(token),
            "user": token.user_id,
        }
    return type_name(token)


def install() -> None:
    Token.__str__ = token_name
