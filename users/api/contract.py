"""The published contract (users/api/spec.py), enforced on requests.

`RequestContractMiddleware` holds requests to the contract before allauth
sees them: a body must be a JSON object, nest no deeper than MAX_JSON_DEPTH,
and carry no field the operation does not define and none of the wrong
type. allauth's own input handling would ignore unknown fields and turn a
list into a string. Where an operation defines no body, allauth still parses
whatever body comes (on every method but GET), so the nesting limit holds
there too: a deep body would otherwise crash its parser.
"""

from __future__ import annotations

import contextlib
import json
import re
from functools import cache
from http import HTTPStatus
from typing import TYPE_CHECKING

from django.core.exceptions import RequestDataTooBig
from django.http.request import RawPostDataException

from users.api.errors import error_response, is_api
from users.api.spec import resolve, served_schema

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


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
            body = resolve(spec, operation.get("requestBody", {}))
            schema = body.get("content", {}).get("application/json", {}).get("schema")
            methods[method.upper()] = _properties(spec, schema) if schema else None
        if "GET" in methods:
            methods.setdefault("HEAD", None)
        found.append((pattern, methods))
    return found


def _properties(spec: dict, schema: dict) -> dict[str, dict]:
    """Every property a request body may carry, across allOf/anyOf/oneOf."""
    schema = resolve(spec, schema)
    found = {
        name: resolve(spec, sub) for name, sub in schema.get("properties", {}).items()
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


def _wrong_type(value: object, schema: dict) -> bool:
    expected = JSON_TYPES.get(str(schema.get("type")))
    if expected is None:
        return False
    if isinstance(value, bool) and bool not in expected:
        return True  # JSON true is not a number
    return not isinstance(value, expected)


class Refused(Exception):  # noqa: N818 (a refusal, not an error of ours)
    """A request that breaks the contract, with the answer it gets."""

    def __init__(
        self, status: HTTPStatus, message: str, code: str, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.response = error_response(status, message, code, param)


def _not_json() -> Refused:
    return Refused(
        HTTPStatus.BAD_REQUEST, "The body is not valid JSON.", "invalid_json"
    )


def _body(request: HttpRequest) -> bytes:
    """The raw body. Raises Refused for one too large, or one Django's CSRF
    check already read as multipart form fields, whose bytes are gone: it
    is not JSON, and allauth reading it would answer 500."""
    try:
        return request.body
    except RequestDataTooBig:
        raise Refused(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "The body is too large.", "too_large"
        ) from None
    except RawPostDataException:
        raise _not_json() from None


def parse_json(raw: bytes) -> object:
    """`raw` parsed, unless it nests deeper than MAX_JSON_DEPTH (Refused).

    Raises what json.loads raises for a body that is not JSON.
    """
    try:
        data = json.loads(raw)
    except RecursionError:
        # Nested past the interpreter's recursion limit (about 1,000 levels):
        # the parser gave up, cheaply, before building it.
        too_deep = True
    else:
        too_deep = nesting_depth(data) > MAX_JSON_DEPTH
    if too_deep:
        raise Refused(
            HTTPStatus.BAD_REQUEST,
            f"The body nests more than {MAX_JSON_DEPTH} levels deep.",
            "too_deep",
        )
    return data


def json_object(request: HttpRequest) -> dict | None:
    """The request's JSON object body, or None when it has no body.

    Raises Refused for a body that is too large, not JSON, nested deeper
    than MAX_JSON_DEPTH, or not an object.
    """
    raw = _body(request)
    if not raw:
        return None  # allauth answers a missing body with field errors
    try:
        data = parse_json(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _not_json() from None
    if not isinstance(data, dict):
        raise Refused(
            HTTPStatus.BAD_REQUEST, "The body must be a JSON object.", "invalid_json"
        )
    return data


def limit_nesting(request: HttpRequest) -> None:
    """Raises Refused for a body nested deeper than MAX_JSON_DEPTH; any other
    body, JSON or not, is left to the operation."""
    if raw := _body(request):
        with contextlib.suppress(UnicodeDecodeError, json.JSONDecodeError):
            parse_json(raw)


def check_fields(data: dict, properties: dict[str, dict]) -> None:
    """Raises Refused for a field the operation does not define, or a value
    of the wrong type."""
    for name, value in data.items():
        if name not in properties:
            raise Refused(
                HTTPStatus.BAD_REQUEST, "Unknown field.", "unknown_field", name
            )
        if _wrong_type(value, properties[name]):
            raise Refused(
                HTTPStatus.BAD_REQUEST,
                f"Expected a {properties[name]['type']}.",
                "invalid_type",
                name,
            )


class RequestContractMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A method the contract does not define is 405 before anything else
        # (a CSRF check would call an unknown method unsafe: 403).
        if is_api(request):
            try:
                allow_method(request, _methods_at(request.path))
            except Refused as refused:
                return refused.response
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs):
        if not is_api(request):
            return None  # pages have no contract
        try:
            hold_to_contract(request, _methods_at(request.path))
        except Refused as refused:
            return refused.response
        return None


def hold_to_contract(
    request: HttpRequest, methods: dict[str, dict | None] | None
) -> None:
    """Raises Refused for a body its operation does not accept.

    `methods` is what the contract defines at the request's path (None for a
    path it does not describe); `allow_method` has refused any other method.
    """
    properties = methods.get(str(request.method)) if methods else None
    if properties is not None:
        if (data := json_object(request)) is not None:
            check_fields(data, properties)
    elif request.method != "GET":
        # allauth parses the body of every request but a GET (RESTView).
        limit_nesting(request)


def allow_method(request: HttpRequest, methods: dict[str, dict | None] | None) -> None:
    """Raises Refused (405, with Allow) for a method the contract does not
    define at a path it describes."""
    if methods is not None and request.method not in {*methods, "OPTIONS"}:
        refused = Refused(
            HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed.", "method_not_allowed"
        )
        refused.response["Allow"] = ", ".join(methods)
        raise refused


def _methods_at(path: str) -> dict[str, dict | None] | None:
    """The methods the contract defines at `path`, or None for no such path."""
    for pattern, methods in _operations():
        if pattern.match(path):
            return methods
    return None
