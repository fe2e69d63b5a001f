"""The published API contract.

`served_schema()` is allauth's OpenAPI specification cut to the flows this
service offers (no phone numbers, login codes or usernames), plus our own
endpoints (users/api/views.py) and their security schemes. It is served at
/_allauth/openapi.json and .yaml, with a readable page at openapi.html, and
enforced on requests by users/api/contract.py.
"""

from __future__ import annotations

import copy
import json
from functools import cache

import yaml
from allauth.headless.spec.internal.schema import get_schema
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

# allauth routes, under /_allauth/{client}/v1/, of features we leave off.
DISABLED_FEATURE_PATHS = (
    "account/phone",
    "auth/phone/verify",
    "auth/phone/verify/resend",
    "auth/code/confirm",
    "auth/email/verify/resend",  # re-sends verification *codes*; we send links
)
# Ways to identify an account that this service does not have.
DISABLED_LOGIN_FIELDS = {"username", "phone"}

OUR_TAG = "Our API"

OUR_PATHS = {
    "/api/me": {
        "get": {
            "tags": [OUR_TAG],
            "summary": "The signed-in user",
            "description": (
                "Accepts a JWT access token (`Authorization: Bearer ...`), an app "
                "session token (`X-Session-Token`) or the browser session cookie."
            ),
            "security": [{"jwt": []}, {"sessionToken": []}, {"sessionCookie": []}],
            "responses": {
                "200": {
                    "description": "The user.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Me"}
                        }
                    },
                },
                "401": {"$ref": "#/components/responses/OurError"},
            },
        }
    },
    "/api/token/refresh": {
        "post": {
            "tags": [OUR_TAG],
            "summary": "Refresh with the refresh-token cookie",
            "description": (
                "For app clients that logged in with "
                "`X-Refresh-Token-Transport: cookie`: trades the HttpOnly "
                "`refresh_token` cookie for a new access token, and rotates the "
                "cookie. Presenting a rotated token again revokes the session."
            ),
            "security": [{"refreshCookie": []}],
            "responses": {
                "200": {
                    "description": "A new access token; the cookie is rotated.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/AccessToken"}
                        }
                    },
                },
                "401": {"$ref": "#/components/responses/OurError"},
            },
        },
        "delete": {
            "tags": [OUR_TAG],
            "summary": "Forget the refresh-token cookie",
            "responses": {
                "200": {
                    "description": "The cookie is cleared.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/OurStatus"}
                        }
                    },
                }
            },
        },
    },
}

OUR_COMPONENTS = {
    "schemas": {
        "OurStatus": {
            "type": "object",
            "properties": {"status": {"type": "integer", "example": 200}},
            "required": ["status"],
        },
        "Me": {
            "type": "object",
            "properties": {
                "status": {"type": "integer", "example": 200},
                "data": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer", "example": 42},
                        "email": {"type": "string", "example": "ada@example.com"},
                        "name": {"type": "string", "example": "Ada"},
                        "verified": {"type": "boolean"},
                        "date_joined": {"type": "string", "format": "date-time"},
                    },
                    "required": ["id", "email", "name", "verified", "date_joined"],
                },
            },
            "required": ["status", "data"],
        },
        "AccessToken": {
            "type": "object",
            "properties": {
                "status": {"type": "integer", "example": 200},
                "data": {
                    "type": "object",
                    "properties": {"access_token": {"type": "string"}},
                    "required": ["access_token"],
                },
            },
            "required": ["status", "data"],
        },
        "OurError": {
            "type": "object",
            "properties": {
                "status": {"type": "integer", "example": 401},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "message": {"type": "string"},
                            "code": {"type": "string"},
                            "param": {"type": "string"},
                        },
                        "required": ["message", "code"],
                    },
                },
            },
            "required": ["status", "errors"],
        },
    },
    "responses": {
        "OurError": {
            "description": "Not authenticated, or the token is invalid.",
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/OurError"}
                }
            },
        }
    },
    "securitySchemes": {
        "jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "sessionToken": {"type": "apiKey", "in": "header", "name": "X-Session-Token"},
        "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
        "refreshCookie": {"type": "apiKey", "in": "cookie", "name": "refresh_token"},
    },
}


@cache
def served_schema() -> dict:
    spec = copy.deepcopy(get_schema())
    spec["paths"] = {
        path: item
        for path, item in spec["paths"].items()
        if not path.endswith(tuple(f"/v1/{p}" for p in DISABLED_FEATURE_PATHS))
    }
    for name, schema in spec["components"]["schemas"].items():
        spec["components"]["schemas"][name] = _without_disabled_login_fields(schema)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                _document_common_errors(path, method, operation["responses"])
    spec["paths"].update(copy.deepcopy(OUR_PATHS))
    for section, entries in OUR_COMPONENTS.items():
        spec["components"].setdefault(section, {}).update(copy.deepcopy(entries))
    spec["tags"].append(
        {"name": OUR_TAG, "description": "Endpoints of this service, beside allauth's."}
    )
    spec.setdefault("x-tagGroups", []).append({"name": "Service", "tags": [OUR_TAG]})
    return spec


def _document_common_errors(path: str, method: str, responses: dict) -> None:
    """Add the answers any allauth operation can give that its own spec leaves
    out, each with allauth's response for it."""
    common = {
        "401": "#/components/responses/Unauthenticated",  # login required
        "410": "#/components/responses/SessionGone",  # stale X-Session-Token
    }
    if "{client}" in path:
        common["404"] = "#/components/responses/NotFound"  # no such client
    if method != "get":
        common["403"] = "#/components/responses/Forbidden"  # browser: CSRF
        common["429"] = "#/components/responses/TooManyRequests"  # rate limits
    for status, ref in common.items():
        responses.setdefault(status, {"$ref": ref})


def _without_disabled_login_fields(schema):
    """Drop anyOf/oneOf branches that need a username or a phone number."""
    if isinstance(schema, list):
        return [_without_disabled_login_fields(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {
        key: _without_disabled_login_fields(value) for key, value in schema.items()
    }
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            schema[combinator] = [
                branch
                for branch in schema[combinator]
                if not DISABLED_LOGIN_FIELDS & set(branch.get("required", []))
            ]
    return schema


@require_GET
def openapi_json(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        json.dumps(served_schema()),
        content_type="application/vnd.oai.openapi+json",
    )


@require_GET
def openapi_yaml(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        yaml.safe_dump(served_schema(), sort_keys=False),
        content_type="application/vnd.oai.openapi",
    )
