"""The OpenID Connect provider's JSON endpoints, in the served contract
(users/api/spec.py adds them while the provider is mounted).

They follow RFC 6749, RFC 7009 and OIDC Core rather than allauth's API: form
bodies in, JSON out, and errors as `{"error": ..., "error_description": ...}`.
"""

from __future__ import annotations

TAG = "OpenID Connect provider"


def _json(description: str, schema: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
        },
    }


def _form(properties: dict, required: list[str]) -> dict:
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": properties,
                    "required": required,
                }
            }
        },
    }


ERROR = _json("An error RFC 6749 names.", "OAuthError")
CLIENT_AUTH: list[dict[str, list]] = [{"clientSecretBasic": []}, {}]
STRING = {"type": "string"}

PATHS = {
    "/.well-known/openid-configuration": {
        "get": {
            "tags": [TAG],
            "summary": "Discovery document",
            "description": "Where every endpoint is, and what the provider supports.",
            "responses": {"200": _json("The document.", "OIDCConfiguration")},
        }
    },
    "/.well-known/jwks.json": {
        "get": {
            "tags": [TAG],
            "summary": "Signing keys",
            "description": "The public keys ID tokens are signed with (JWKS).",
            "responses": {"200": _json("The key set.", "JWKS")},
        }
    },
    "/identity/o/api/token": {
        "post": {
            "tags": [TAG],
            "summary": "Token endpoint",
            "description": (
                "Exchanges an authorization code (with its PKCE verifier) or "
                "a refresh token for tokens. A confidential app authenticates "
                "with HTTP Basic (or `client_id` and `client_secret` in the "
                "body); a public app sends `client_id` alone. A code is good "
                "once, for 60 seconds: a second exchange revokes what the "
                "first gave. Refresh tokens rotate, and presenting an old one "
                "revokes its grant."
            ),
            "security": CLIENT_AUTH,
            "requestBody": _form(
                {
                    "grant_type": {
                        "type": "string",
                        "enum": ["authorization_code", "refresh_token"],
                    },
                    "code": STRING,
                    "redirect_uri": STRING,
                    "code_verifier": STRING,
                    "refresh_token": STRING,
                    "client_id": STRING,
                    "client_secret": STRING,
                    "scope": STRING,
                },
                ["grant_type"],
            ),
            "responses": {
                "200": _json("Tokens.", "TokenResponse"),
                "400": ERROR,
                "401": ERROR,
            },
        }
    },
    "/identity/o/api/userinfo": {
        method: {
            "tags": [TAG],
            "summary": "Userinfo",
            "description": (
                "The claims the access token's scopes allow: `sub` (always), "
                "`email` and `email_verified` (email), `name` and `locale` "
                "(profile)."
            ),
            "security": [{"oidcAccessToken": []}],
            "responses": {
                "200": _json("The claims.", "UserInfo"),
                "401": ERROR,
                "403": ERROR,
            },
        }
        for method in ("get", "post")
    },
    "/identity/o/api/revoke": {
        "post": {
            "tags": [TAG],
            "summary": "Revocation endpoint",
            "description": (
                "RFC 7009. An app revokes its own access or refresh token; "
                "revoking a refresh token also ends the access tokens issued "
                "with it. A token the app cannot revoke is answered as revoked."
            ),
            "security": CLIENT_AUTH,
            "requestBody": _form(
                {
                    "token": STRING,
                    "token_type_hint": {
                        "type": "string",
                        "enum": ["access_token", "refresh_token"],
                    },
                    "client_id": STRING,
                    "client_secret": STRING,
                },
                ["token"],
            ),
            "responses": {
                "200": {"description": "Revoked (or nothing to revoke)."},
                "400": ERROR,
                "401": ERROR,
            },
        }
    },
}

COMPONENTS = {
    "schemas": {
        "OAuthError": {
            "type": "object",
            "properties": {
                "error": {"type": "string", "example": "invalid_grant"},
                "error_description": STRING,
            },
            "required": ["error"],
        },
        "TokenResponse": {
            "type": "object",
            "properties": {
                "access_token": STRING,
                "token_type": {"type": "string", "example": "Bearer"},
                "expires_in": {"type": "integer"},
                "refresh_token": STRING,
                "refresh_expires_in": {"type": "integer"},
                "id_token": STRING,
                "scope": STRING,
            },
            "required": ["access_token", "token_type", "expires_in"],
        },
        "UserInfo": {
            "type": "object",
            "properties": {
                "sub": STRING,
                "email": STRING,
                "email_verified": {"type": "boolean"},
                "name": STRING,
                "locale": STRING,
            },
            "required": ["sub"],
        },
        "OIDCConfiguration": {
            "type": "object",
            "properties": {
                "issuer": STRING,
                "authorization_endpoint": STRING,
                "token_endpoint": STRING,
                "userinfo_endpoint": STRING,
                "jwks_uri": STRING,
                "revocation_endpoint": STRING,
                "code_challenge_methods_supported": {
                    "type": "array",
                    "items": STRING,
                },
            },
            "required": [
                "issuer",
                "authorization_endpoint",
                "token_endpoint",
                "jwks_uri",
            ],
        },
        "JWKS": {
            "type": "object",
            "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
            "required": ["keys"],
        },
    },
    "securitySchemes": {
        "clientSecretBasic": {"type": "http", "scheme": "basic"},
        "oidcAccessToken": {"type": "http", "scheme": "bearer"},
    },
}
