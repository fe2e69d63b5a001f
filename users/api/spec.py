"""The published API contract, and its enforcement on requests.

`served_schema()` is allauth's OpenAPI specification cut to the flows this
service offers (no phone numbers, login codes or usernames), plus our own
endpoints (users/api.py) and their security schemes. It is served at
/_allauth/openapi.json and .yaml, with a readable page at openapi.html.

`RequestContractMiddleware` holds requests to that contract before allauth
sees them: a body must be a JSON object, with no field the operation does not
define and none of the wrong type. allauth's own input handling would ignore
unknown fields and turn a list into a string.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from http import HTTPStatus

from allauth.headless.spec.internal.schema import get_schema
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from users.api import error_response, is_api

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
    import yaml

    return HttpResponse(
        yaml.safe_dump(served_schema(), sort_keys=False),
        content_type="application/vnd.oai.openapi",
    )


# --- The contract, enforced --------------------------------------------------


@cache
def _operations() -> list[tuple[re.Pattern, dict[str, dict | None]]]:
    """For each path: its pattern, and each method's request body properties
    (None where the operation takes no JSON body)."""
    spec = served_schema()
    found = []
    for path, item in spec["paths"].items():
        client = re.escape("{client}")
        pattern = re.compile(
            "^" + re.escape(path).replace(client, "(?:browser|app)") + "$"
        )
        methods: dict[str, dict | None] = {}
        for method, operation in item.items():
            if method == "parameters":
                continue
            body = _resolve(spec, operation.get("requestBody", {}))
            schema = body.get("content", {}).get("application/json", {}).get("schema")
            methods[method.upper()] = _properties(spec, schema) if schema else None
        if "GET" in methods:
            methods.setdefault("HEAD", None)
        found.append((pattern, methods))
    return found


def _resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _properties(spec: dict, schema: dict) -> dict[str, dict]:
    """Every property a request body may carry, across allOf/anyOf/oneOf."""
    schema = _resolve(spec, schema)
    found = {
        name: _resolve(spec, sub) for name, sub in schema.get("properties", {}).items()
    }
    for combinator in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(combinator, []):
            found.update(_properties(spec, branch))
    return found


# No request we define nests deeper than this; a body that does is refused
# before anything else reads it.
MAX_JSON_DEPTH = 32


def nesting_depth(value: object) -> int:
    """How deeply arrays and objects nest in a parsed JSON value."""
    depth, level = 0, [value]
    while containers := [item for item in level if isinstance(item, dict | list)]:
        depth += 1
        level = [
            child
            for container in containers
            for child in (
                container.values() if isinstance(container, dict) else container
            )
        ]
    return depth


JSON_TYPES = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
}


def _wrong_type(value, schema: dict) -> bool:
    expected = JSON_TYPES.get(schema.get("type"))
    if expected is None:
        return False
    if isinstance(value, bool) and bool not in expected:
        return True  # JSON true is not a number
    return not isinstance(value, expected)


class RequestContractMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs):
        if not is_api(request):
            return None  # pages: no contract to hold them to
        for pattern, methods in _operations():
            if not pattern.match(request.path):
                continue
            if request.method == "OPTIONS":
                return None  # CORS preflights are answered before this
            if request.method not in methods:
                response = error_response(
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    "Method not allowed.",
                    "method_not_allowed",
                )
                response["Allow"] = ", ".join(methods)
                return response
            properties = methods[request.method]
            return None if properties is None else self._check(request, properties)
        return None

    def _check(self, request: HttpRequest, properties: dict) -> HttpResponse | None:
        try:
            raw = request.body
        except RequestDataTooBig:
            return error_response(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "The body is too large.",
                "too_large",
            )
        if not raw:
            return None  # allauth answers a missing body with field errors
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return error_response(
                HTTPStatus.BAD_REQUEST, "The body is not valid JSON.", "invalid_json"
            )
        except RecursionError:
            # Nested past the interpreter's recursion limit (about 1,000
            # levels): the parser gave up, cheaply, before building it.
            too_deep = True
        else:
            too_deep = nesting_depth(data) > MAX_JSON_DEPTH
        if too_deep:
            return error_response(
                HTTPStatus.BAD_REQUEST,
                f"The body nests more than {MAX_JSON_DEPTH} levels deep.",
                "too_deep",
            )
        if not isinstance(data, dict):
            return error_response(
                HTTPStatus.BAD_REQUEST,
                "The body must be a JSON object.",
                "invalid_json",
            )
        for name, value in data.items():
            if name not in properties:
                return error_response(
                    HTTPStatus.BAD_REQUEST, "Unknown field.", "unknown_field", name
                )
            if _wrong_type(value, properties[name]):
                return error_response(
                    HTTPStatus.BAD_REQUEST,
                    f"Expected a {properties[name]['type']}.",
                    "invalid_type",
                    name,
                )
        return None
