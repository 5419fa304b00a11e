"""The real services' contracts, for checking the gateway's fake services against them.

Each service's OpenAPI document is built from its own route table (``<service>.app.create_app``
then ``servicekit.openapi.openapi_document``: no database, no server), so a fake that serves
a route, accepts a request or gives an answer the real service would not is caught here.

The documents list only ``/api/...`` paths. The gateway also calls accounts' and billing's
``/internal/...`` routes; those are checked against the same route table: ``build_document``
is run over them re-rooted under ``/api`` so that their body and answer models and their
error statuses are described by the very code that describes the public ones (a path
parameter a route does not declare in its ``path_params`` is an opaque token there, not the
UUID the documents default to, so it is left out).

``contract_check`` is a middleware for a fake app: every request it receives and every answer
it gives on a contract route is validated, and what does not match is kept in ``VIOLATIONS``;
conftest's autouse fixture fails the test that caused any. The rules, strict on purpose:

* the status must be one the operation documents: no generic allowance (a 500, a 404 for
  an unknown id where none is documented...): a fake needing one shows an undocumented
  answer of the real service, to report rather than tolerate;
* an answer's media type must be the documented one and its body must match the schema,
  with no member the schema does not name (the gateway must not rely on a field the real
  service never sends); problems are ``application/problem+json`` with the shared schema
  (or the route's variant of it, e.g. planning's ``days``); a text answer is a string;
* a request may not carry a member, a query parameter or a body the operation does not
  declare (the real service would silently ignore it); when the fake accepts a request
  (2xx), the request must match the schema entirely, as the real service would refuse it.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import importlib
import json
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import MultipartReader, StreamReader, web
from aiohttp.base_protocol import BaseProtocol
from jsonschema import Draft202012Validator, FormatChecker
from servicekit.openapi import ROUTES, Route, build_document, openapi_document

from .standins import PLUMBING_HANDLERS

JSON = "application/json"
MULTIPART = "multipart/form-data"
FORM = "application/x-www-form-urlencoded"
PROBLEM = "application/problem+json"
INTERNAL_ROOT = "/api/__internal__"

# Every violation seen since the last check, as sentences; conftest fails the test on any.
VIOLATIONS: list[str] = []


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str
    spec: dict[str, Any]  # the OpenAPI operation object
    components: dict[str, Any]  # its document's components, for resolving $refs


@functools.cache
def route_table(service: str) -> tuple[Route, ...]:
    """The real service's whole route table, as its app factory registers it."""
    module = importlib.import_module(f"{service}.app")
    # Settings the other services do not know are ignored by theirs.
    app = module.create_app(module.SPEC.settings_class(environment="test", password_hash_profile="test"))
    return tuple(app[ROUTES])


@functools.cache
def document(service: str) -> dict[str, Any]:
    """The OpenAPI document the real service serves at /api/<service>/openapi.json."""
    return openapi_document(route_table(service))


@functools.cache
def operations(service: str) -> dict[tuple[str, str], Operation]:
    """(METHOD, path template) → what the real service declares for it, /internal routes included."""
    found: dict[tuple[str, str], Operation] = {}
    doc = document(service)
    for path, ops in doc["paths"].items():
        for method, spec in ops.items():
            found[(method.upper(), path)] = Operation(service, method.upper(), path, spec, doc["components"])
    internal = [
        replace(r, path=INTERNAL_ROOT + r.path) for r in route_table(service) if r.path.startswith("/internal/")
    ]
    declared = {(r.method, r.path): {p.name for p in r.path_params} for r in internal}
    if internal:
        inner = build_document(internal, title=f"{service} internal")
        for path, ops in inner["paths"].items():
            for method, spec in ops.items():
                kept = declared[(method.upper(), path)]
                params = [p for p in spec["parameters"] if p["in"] != "path" or p["name"] in kept]
                spec = {**spec, "parameters": params}
                real_path = path.removeprefix(INTERNAL_ROOT)
                found[(method.upper(), real_path)] = Operation(
                    service, method.upper(), real_path, spec, inner["components"]
                )
    return found


def fake_routes(app: web.Application) -> list[tuple[str, str]]:
    """(METHOD, path template) of every contract route a fake serves (not its test plumbing)."""
    return [
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD" and route.handler not in PLUMBING_HANDLERS
    ]


# --- schemas ------------------------------------------------------------------------


def _closed(schema: Any) -> Any:
    """The schema with every object that lists its properties refusing any other member."""
    if isinstance(schema, dict):
        out = {key: _closed(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


@functools.cache
def _closed_components(service: str, internal: bool) -> dict[str, Any]:
    op = next(o for o in operations(service).values() if o.path.startswith("/internal/") == internal)
    return _closed(copy.deepcopy(op.components))


def validator(op: Operation, schema: dict[str, Any]) -> Draft202012Validator:
    # The document's "#/components/..." references resolve against this root.
    components = _closed_components(op.service, op.path.startswith("/internal/"))
    root = {"allOf": [_closed(schema)], "components": components}
    return Draft202012Validator(root, format_checker=FormatChecker())


def errors_of(op: Operation, schema: dict[str, Any], instance: Any) -> list[tuple[str, str]]:
    """(the failing keyword, a readable message) for each way ``instance`` breaks ``schema``."""
    found = []
    for error in validator(op, schema).iter_errors(instance):
        leaves = error.context or [error]
        for leaf in leaves:
            where = "/".join(str(p) for p in leaf.absolute_path) or "(root)"
            found.append((leaf.validator, f"{where}: {leaf.message}"))
    return found


def coerce(value: str, schema: dict[str, Any]) -> Any:
    """A form field or query parameter (always text) as the real service's model reads it."""
    types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
    if "boolean" in types and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if "integer" in types and value.lstrip("-").isdigit():
        return int(value)
    return value


def _property(op: Operation, schema: dict[str, Any], name: str) -> dict[str, Any]:
    if "$ref" in schema:
        schema = op.components["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema.get("properties", {}).get(name, {})


# --- requests -----------------------------------------------------------------------


async def multipart_fields(request: web.Request) -> tuple[dict[str, str], dict[str, Any] | None]:
    """A form's text fields, and its file (``attachment``) if any, from the request's bytes.

    Parsed by aiohttp's own reader (as the real service does) over a copy of the body, so
    that the body can be read again by whoever comes next.
    """
    raw = await request.read()
    loop = asyncio.get_running_loop()
    # A limit above the body's size: fed at once, the reader would otherwise ask to pause.
    stream = StreamReader(BaseProtocol(loop), max(2**16, len(raw) + 1), loop=loop)
    stream.feed_data(raw)
    stream.feed_eof()
    reader = MultipartReader(request.headers, stream)
    fields: dict[str, str] = {}
    file = None
    while (part := await reader.next()) is not None:
        content = await part.read()
        if part.filename is not None:
            file = {
                "name": part.name,
                "filename": part.filename,
                "content_type": part.headers.get("Content-Type"),
                "content": bytes(content),
            }
        else:
            fields[part.name] = content.decode()
    return fields, file


async def request_problems(op: Operation, request: web.Request) -> tuple[list[str], list[str]]:
    """(always wrong, wrong if the fake accepted it) about a request to ``op``."""
    always: list[str] = []
    if_accepted: list[str] = []
    declared = {p["name"]: p for p in op.spec["parameters"]}
    for name, value in request.query.items():
        param = declared.get(name)
        if param is None or param["in"] != "query":
            always.append(f"query parameter {name!r} is not declared")
            continue
        for _, message in errors_of(op, param["schema"], coerce(value, param["schema"])):
            if_accepted.append(f"query parameter {name!r}: {message}")
    for param in op.spec["parameters"]:
        if param["in"] == "path":
            value = request.match_info.get(param["name"], "")
            if_accepted += [f"path {param['name']!r}: {m}" for _, m in errors_of(op, param["schema"], value)]
        elif param["in"] == "header" and param["name"] in request.headers:
            value = request.headers[param["name"]]
            if_accepted += [f"header {param['name']!r}: {m}" for _, m in errors_of(op, param["schema"], value)]
        elif param["in"] == "query" and param["required"] and param["name"] not in request.query:
            if_accepted.append(f"required query parameter {param['name']!r} is missing")

    has_body = request.body_exists and bool(await request.read())
    content = op.spec.get("requestBody", {}).get("content", {})
    if not content:
        if has_body:
            always.append("a body was sent to an operation that takes none")
        return always, if_accepted
    if not has_body:
        if_accepted.append("the required body is missing")
        return always, if_accepted
    media = request.content_type
    if media not in content:
        if_accepted.append(f"body media type {media!r} is not one of {sorted(content)}")
        return always, if_accepted
    if media == JSON:
        try:
            instance = json.loads(await request.read())
        except ValueError:
            if_accepted.append("the JSON body does not parse")
            return always, if_accepted
        schema = content[JSON]["schema"]
    elif media == FORM:  # a provider's notification: the raw form, as the service reads it
        instance = (await request.read()).decode(errors="replace")
        schema = content[FORM]["schema"]
    else:  # multipart: the body model's fields as text, and the declared file part
        body_schema, file_part = content[MULTIPART]["schema"]["allOf"]
        fields, file = await multipart_fields(request)
        instance = {name: coerce(value, _property(op, body_schema, name)) for name, value in fields.items()}
        schema = body_schema
        if file is not None and file["name"] not in file_part["properties"]:
            always.append(f"file part {file['name']!r} is not declared")
    for keyword, message in errors_of(op, schema, instance):
        (always if keyword == "additionalProperties" else if_accepted).append(f"body {message}")
    return always, if_accepted


# --- answers ------------------------------------------------------------------------


def answer_problems(op: Operation, response: web.StreamResponse) -> list[str]:
    documented = op.spec["responses"].get(str(response.status))
    if documented is None:
        return [f"status {response.status} is not documented (documented: {sorted(op.spec['responses'])})"]
    content = documented.get("content", {})
    body = response.body if isinstance(response, web.Response) else None
    if not content:
        return [f"status {response.status} documents no body, the fake sent one"] if body else []
    media = response.content_type
    if media not in content:
        return [f"media type {media!r} is not the documented {sorted(content)}"]
    found = []
    if response.status == 429 and "Retry-After" not in response.headers:
        found.append("a 429 without Retry-After")
    schema = content[media].get("schema")
    if schema is None:
        return found
    if media == JSON or media.endswith("+json"):
        try:
            instance = json.loads(body or b"")
        except ValueError:
            return [*found, "the body is not JSON"]
    else:  # a text answer (e.g. text/plain), read as the client would
        try:
            instance = (body or b"").decode(response.charset or "utf-8")
        except (LookupError, UnicodeDecodeError):
            return [*found, f"the body is not {response.charset or 'utf-8'} text"]
    found += [f"body {message}" for _, message in errors_of(op, schema, instance)]
    return found


@web.middleware
async def contract_check(request: web.Request, handler):
    """Validate each request to, and answer from, a fake's contract route (see module docstring)."""
    route = request.match_info.route
    if route.handler in PLUMBING_HANDLERS or route.resource is None:
        return await handler(request)
    service = request.app[CONTRACT_OF]
    op = operations(service).get((request.method, route.resource.canonical))
    where = f"{service} {request.method} {route.resource.canonical}"
    if op is None:
        VIOLATIONS.append(f"{where}: the real service has no such route")
        return await handler(request)
    always, if_accepted = await request_problems(op, request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        report(op, where, always, if_accepted, exc)
        raise
    report(op, where, always, if_accepted, response)
    return response


def report(op: Operation, where: str, always: list[str], if_accepted: list[str], answer) -> None:
    problems = [f"request: {p}" for p in always]
    if 200 <= answer.status < 300:
        problems += [f"request accepted with {answer.status}: {p}" for p in if_accepted]
    problems += [f"answer {answer.status}: {p}" for p in answer_problems(op, answer)]
    VIOLATIONS.extend(f"{where}: {p}" for p in problems)


CONTRACT_OF = web.AppKey("contract_of", str)


def checked(app: web.Application, service: str) -> web.Application:
    """``app`` (a fake of ``service``) with its requests and answers checked against the real contract."""
    app[CONTRACT_OF] = service
    app.middlewares.insert(0, contract_check)
    return app
