"""The published API contract.

`served_schema()` is allauth's OpenAPI specification cut to the flows this
service offers (no phone numbers or usernames), plus our own
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
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from identity import spec as provider_spec

# allauth routes, under /_allauth/{client}/v1/, of features we leave off.
DISABLED_FEATURE_PATHS = (
    "account/phone",
    "auth/phone/verify",
    "auth/phone/verify/resend",
    "auth/email/verify/resend",  # re-sends verification *codes*; we send links
)
# Ways to identify an account that this service does not have.
DISABLED_LOGIN_FIELDS = {"username", "phone"}

OUR_TAG = "Our API"


def answer(description: str, schema: str) -> dict:
    """A JSON response whose body is the component schema named `schema`."""
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
        },
    }


OUR_ERROR = {"$ref": "#/components/responses/OurError"}

AUTHENTICATED: list[dict[str, list]] = [
    {"jwt": []},
    {"sessionToken": []},
    {"sessionCookie": []},
]

OUR_PATHS = {
    "/api/me": {
        "get": {
            "tags": [OUR_TAG],
            "summary": "The signed-in user",
            "description": (
                "Accepts a JWT access token (`Authorization: Bearer ...`), an app "
                "session token (`X-Session-Token`) or the browser session cookie."
            ),
            "security": AUTHENTICATED,
            "responses": {
                "200": answer("The user.", "Me"),
                "401": OUR_ERROR,
            },
        },
        "delete": {
            "tags": [OUR_TAG],
            "summary": "Delete the account",
            "description": (
                "Deletes the signed-in person's account and data, ends every "
                "session and token, and mails a confirmation. Needs a "
                "reauthentication within `DJANGO_REAUTHENTICATION_TIMEOUT`: "
                "otherwise 401 with `reauthentication_required` and the flows "
                "to reauthenticate by (`reauthenticate_by_code` for an "
                "account with neither password nor second factor: see "
                "`/api/me/reauthenticate/code/request`). With the session "
                "cookie, the `X-CSRFToken` header is needed too."
            ),
            "security": AUTHENTICATED,
            "responses": {
                "200": answer("The account is deleted.", "OurStatus"),
                "401": OUR_ERROR,
                "403": OUR_ERROR,
            },
        },
    },
    "/api/me/reauthenticate/code/request": {
        "post": {
            "tags": [OUR_TAG],
            "summary": "Mail a reauthentication code",
            "description": (
                "For an account with neither password nor second factor, "
                "whose reauthentication flow is `reauthenticate_by_code`: "
                "mails a code to its primary address. Other accounts get 400 "
                "`code_not_available`; too many requests, 429."
            ),
            "security": AUTHENTICATED,
            "responses": {
                "200": answer("The code is on its way.", "OurStatus"),
                "400": OUR_ERROR,
                "401": OUR_ERROR,
                "403": OUR_ERROR,
                "429": OUR_ERROR,
            },
        }
    },
    "/api/me/reauthenticate/code/confirm": {
        "post": {
            "tags": [OUR_TAG],
            "summary": "Reauthenticate with the mailed code",
            "description": (
                "The code from the email: the caller then counts as "
                "reauthenticated for `DJANGO_REAUTHENTICATION_TIMEOUT`. A "
                "wrong or expired code is 400 `incorrect_code`; after three "
                "wrong tries the code is spent."
            ),
            "security": AUTHENTICATED,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string", "example": "ABCD-EFGH"}
                            },
                            "required": ["code"],
                        }
                    }
                },
            },
            "responses": {
                "200": answer("Reauthenticated.", "OurStatus"),
                "400": OUR_ERROR,
                "401": OUR_ERROR,
                "403": OUR_ERROR,
            },
        }
    },
    "/api/me/export": {
        "get": {
            "tags": [OUR_TAG],
            "summary": "Everything held about the signed-in person",
            "description": (
                "Profile, addresses, second factors (metadata only), sessions, "
                "known devices and security activity, as one document."
            ),
            "security": AUTHENTICATED,
            "responses": {
                "200": answer("The export.", "Export"),
                "401": OUR_ERROR,
            },
        }
    },
    "/api/me/activity": {
        "get": {
            "tags": [OUR_TAG],
            "summary": "The signed-in person's security events",
            "description": (
                "Newest first, a page at a time; pass `meta.next_cursor` as "
                "`cursor` for the next page. It is null on the last page."
            ),
            "security": AUTHENTICATED,
            "parameters": [
                {
                    "name": "cursor",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                }
            ],
            "responses": {
                "200": answer("A page of events.", "Activity"),
                "400": OUR_ERROR,
                "401": OUR_ERROR,
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
                "200": answer(
                    "A new access token; the cookie is rotated.", "AccessToken"
                ),
                "401": OUR_ERROR,
            },
        },
        "delete": {
            "tags": [OUR_TAG],
            "summary": "Forget the refresh-token cookie",
            "responses": {"200": answer("The cookie is cleared.", "OurStatus")},
        },
    },
}

LIST_OF_OBJECTS = {"type": "array", "items": {"type": "object"}}


def object_of(properties: dict, required: list[str] | None = None) -> dict:
    """An object schema with `properties`, all of them required unless
    `required` names fewer."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def status_and(status: int = 200, **fields: dict) -> dict:
    """A response body as allauth shapes its own: the status, then `fields`."""
    return object_of({"status": {"type": "integer", "example": status}, **fields})


OUR_COMPONENTS = {
    "schemas": {
        "OurStatus": status_and(),
        "Me": status_and(
            data=object_of(
                {
                    "id": {"type": "integer", "example": 42},
                    "email": {"type": "string", "example": "ada@example.com"},
                    "name": {"type": "string", "example": "Ada"},
                    "verified": {"type": "boolean"},
                    "date_joined": {"type": "string", "format": "date-time"},
                }
            )
        ),
        "Event": object_of(
            {
                "type": {"type": "string", "example": "login"},
                "description": {"type": "string", "example": "Signed in"},
                "at": {"type": "string", "format": "date-time"},
                "ip": {"type": "string", "nullable": True},
                "user_agent": {"type": "string"},
                "details": {"type": "object"},
            }
        ),
        "Activity": status_and(
            data={"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
            meta=object_of({"next_cursor": {"type": "string", "nullable": True}}),
        ),
        "Export": status_and(
            data=object_of(
                {
                    "profile": {"type": "object"},
                    "email_addresses": LIST_OF_OBJECTS,
                    # Addresses that bounced or complained (mail/).
                    "undeliverable_addresses": LIST_OF_OBJECTS,
                    # Mail to the verified addresses, without bodies (mail/).
                    "emails": LIST_OF_OBJECTS,
                    "second_factors": LIST_OF_OBJECTS,
                    "sessions": LIST_OF_OBJECTS,
                    "known_devices": LIST_OF_OBJECTS,
                    "activity": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Event"},
                    },
                    # Apps signed in to through this service (identity/).
                    "apps": LIST_OF_OBJECTS,
                    # Sign-in providers connected (social/).
                    "connected_accounts": LIST_OF_OBJECTS,
                }
            )
        ),
        "AccessToken": status_and(data=object_of({"access_token": {"type": "string"}})),
        "OurError": status_and(
            401,
            errors={
                "type": "array",
                "items": object_of(
                    {
                        "message": {"type": "string"},
                        "code": {"type": "string"},
                        "param": {"type": "string"},
                    },
                    required=["message", "code"],
                ),
            },
        ),
    },
    "responses": {
        "OurError": answer("Not authenticated, or the token is invalid.", "OurError")
    },
    "securitySchemes": {
        "jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "sessionToken": {"type": "apiKey", "in": "header", "name": "X-Session-Token"},
        "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
        "refreshCookie": {"type": "apiKey", "in": "cookie", "name": "refresh_token"},
    },
}


def resolve(spec: dict, node: dict) -> dict:
    """`node`, or what its `$ref` names, followed to the end."""
    while "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


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
                _document_common_errors(spec, path, method, operation["responses"])
    _document_allauths_other_answers(spec)
    spec["paths"].update(copy.deepcopy(OUR_PATHS))
    for section, entries in OUR_COMPONENTS.items():
        spec["components"].setdefault(section, {}).update(copy.deepcopy(entries))
    spec["tags"].append(
        {"name": OUR_TAG, "description": "Endpoints of this service, beside allauth's."}
    )
    spec.setdefault("x-tagGroups", []).append({"name": "Service", "tags": [OUR_TAG]})
    _every_error_has_errors(spec)
    # After: the provider's endpoints answer errors as RFC 6749 and OpenID
    # Connect define them ({"error": ...}), which their clients expect.
    if settings.IDP_OIDC_PRIVATE_KEY:  # the provider is mounted (identity/)
        _add_provider(spec)
    return spec


def _add_provider(spec: dict) -> None:
    spec["paths"].update(copy.deepcopy(provider_spec.PATHS))
    for section, entries in provider_spec.COMPONENTS.items():
        spec["components"].setdefault(section, {}).update(copy.deepcopy(entries))
    spec["tags"].append(
        {
            "name": provider_spec.TAG,
            "description": "Other apps sign people in through this service "
            "(docs/oidc.md).",
        }
    )
    spec["x-tagGroups"].append({"name": "OpenID Connect", "tags": [provider_spec.TAG]})


# Every 4xx answer carries a list of errors (users/api/errors.py adds one
# where allauth gives none).
ERROR_LIST = {
    "type": "object",
    "properties": {
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                    "param": {"type": "string"},
                },
                "required": ["message", "code"],
            },
        }
    },
    "required": ["errors"],
}


def _every_error_has_errors(spec: dict) -> None:
    """Document the `errors` list on every 4xx answer of every operation."""
    spec["components"]["schemas"]["ErrorList"] = copy.deepcopy(ERROR_LIST)
    done: set[int] = set()
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                answer = resolve(spec, response)
                if not status.startswith("4") or id(answer) in done:
                    continue
                done.add(id(answer))
                body = answer.setdefault("content", {}).setdefault(
                    "application/json", {}
                )
                schema = body.get("schema", {"type": "object"})
                body["schema"] = {
                    "allOf": [schema, {"$ref": "#/components/schemas/ErrorList"}]
                }


def _document_common_errors(
    spec: dict, path: str, method: str, responses: dict
) -> None:
    """Add the answers any allauth operation can give that its own spec leaves
    out, each with allauth's response for it."""
    common = {
        "401": "#/components/responses/Unauthenticated",  # login required
        "410": "#/components/responses/SessionGone",  # stale X-Session-Token
    }
    if "{client}" in path:
        common["404"] = "#/components/responses/NotFound"  # no such client
    for status, ref in list(common.items()):
        # Where the operation has an answer of its own for the status, either.
        if status in responses and responses[status] != {"$ref": ref}:
            responses[status] = _either(spec, responses[status], {"$ref": ref})
    if method != "get":
        common["400"] = "#/components/responses/Error"  # input refused
        common["403"] = "#/components/responses/Forbidden"  # browser: CSRF
        common["429"] = "#/components/responses/TooManyRequests"  # rate limits
    for status, ref in common.items():
        responses.setdefault(status, {"$ref": ref})


def _either(spec: dict, *responses: dict) -> dict:
    """One response whose JSON body is any of `responses`' bodies."""
    schemas = [
        resolve(spec, response)["content"]["application/json"]["schema"]
        for response in responses
    ]
    return {
        "description": " / ".join(
            resolve(spec, response)["description"].strip() for response in responses
        ),
        "content": {"application/json": {"schema": {"anyOf": schemas}}},
    }


# Flows allauth 65.21 reports that its spec's Flow.id does not list.
UNLISTED_FLOWS = ["mfa_login_webauthn", "mfa_signup_webauthn", "mfa_trust"]
# ... and ours: a code mailed to an account with neither password nor
# second factor (users/reauthentication.py).
UNLISTED_FLOWS.append("reauthenticate_by_code")


def _document_allauths_other_answers(spec: dict) -> None:
    """Where allauth answers in ways its own spec does not describe, describe
    them, so the served contract is the one the service keeps."""
    schemas = spec["components"]["schemas"]
    # A stale session token is answered "is_authenticated": null.
    meta = schemas["AuthenticationMeta"]["allOf"][1]["properties"]
    meta["is_authenticated"]["nullable"] = True
    flow_ids = schemas["Flow"]["properties"]["id"]["enum"]
    flow_ids.extend(f for f in UNLISTED_FLOWS if f not in flow_ids)
    # Asked while already signed in, a login code request answers with the
    # session, as a completed login would.
    request_code = spec["paths"]["/_allauth/{client}/v1/auth/code/request"]["post"]
    request_code["responses"].setdefault(
        "200", {"$ref": "#/components/responses/Authenticated"}
    )
    # Renewing recovery codes answers with the new codes, as viewing them does.
    renew = spec["paths"]["/_allauth/{client}/v1/account/authenticators/recovery-codes"]
    renew["post"]["responses"].setdefault(
        "200", {"$ref": "#/components/responses/RecoveryCodes"}
    )
    # "?passwordless" counts by its presence, whatever its value, as its own
    # description says; its schema said boolean.
    spec["components"]["parameters"]["PasswordLess"]["schema"] = {"type": "string"}
    # Adding a key takes "passwordless" (a passkey, shown as one), as on the
    # pages: allauth's input reads it (AddWebAuthnForm), its spec leaves it out.
    add_key = spec["components"]["requestBodies"]["AddWebAuthnAuthenticator"]
    add_key["content"]["application/json"]["schema"]["properties"]["passwordless"] = {
        "type": "boolean",
        "description": "A passkey, to sign in with alone.",
    }


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
