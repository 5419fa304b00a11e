"""Declarative routes: one table registers a service's aiohttp routes and writes its OpenAPI 3.1 document.

A service lists each endpoint once, as a :class:`Route` next to its handler; ``add_routes``
registers the table and ``openapi_route`` serves the document generated from it, so the two
cannot drift apart. Pydantic v2 emits JSON Schema 2020-12, OpenAPI 3.1's schema dialect:
model schemas go into ``components.schemas`` unchanged.

What the document says, from the route fields:

* only paths under ``/api/`` are documented (what the gateway forwards; ``/internal/...``
  and the probes are left out); path parameters are UUIDs unless the route's
  ``path_params`` says otherwise (a month ``YYYY-MM``, an enum of providers...);
* the success answer is the ``response`` model as JSON, a ``download`` (file media types),
  a ``text`` answer (e.g. ``text/plain``: a string), or, with none of them, no body;
* a route that is not ``public`` needs the caller's identity: it lists the document's
  security schemes (by default the client's bearer token or session cookie at the gateway,
  which the gateway turns into the signed identity the service verifies) and a 401;
  one with ``roles`` also a 403 (``admin`` passes every role check: see servicekit.identity);
  one with a JSON ``body`` also 400, 415 and 422;
* every error is ``application/problem+json`` with the shared ``Problem`` schema (plus the
  members the service adds to all its problems: ``problem_properties`` of the document);
  a route whose problems carry more members names them with a ``problem`` model: its
  ``problem_statuses`` (all its error statuses by default) then answer a schema of the
  model's name, the shared ``Problem`` with the model's fields added (the shared members
  keep their meaning: a model may not redefine them).

Plumbing only: who may call a route is the service's to check in its handlers; ``access``
and ``roles`` here are documentation.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .problems import PROBLEM_CONTENT_TYPE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

JSON = "application/json"
MULTIPART = "multipart/form-data"
REF_TEMPLATE = "#/components/schemas/{model}"
UUID_SCHEMA: Mapping[str, Any] = {"type": "string", "format": "uuid"}  # a path parameter's schema unless declared

ROUTES = web.AppKey("openapi_routes", tuple)  # the table add_routes registered, in order
_DOCUMENTS = web.AppKey("openapi_documents", dict)  # path of a document route -> the document, built once


@dataclass(frozen=True)
class Param:
    """A query or header parameter declared by hand (query parameters may also come from a model)."""

    name: str
    description: str = ""
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass(frozen=True)
class FileField:
    """The file part a ``multipart/form-data`` body may carry besides the body model's fields."""

    name: str
    description: str = ""
    media_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """One endpoint, declared once: aiohttp registers it and the OpenAPI document lists it."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type[BaseModel] | None = None  # a JSON body
    raw_body: str | None = None  # or the media type of a body read as is (e.g. "text/csv")
    path_params: tuple[Param, ...] = ()  # the path parameters that are not UUIDs (``required`` unused)
    multipart: FileField | None = None  # the JSON body may also come as a form with this file
    query: type[BaseModel] | tuple[Param, ...] = ()
    headers: tuple[Param, ...] = ()  # e.g. idempotency_key_header()
    response: type[BaseModel] | None = None  # a JSON answer
    download: tuple[str, ...] = ()  # or the media types of a file answer
    text: str = ""  # or the media type of a short text answer (e.g. "text/plain"); none of them: no body
    status: int = 200
    errors: tuple[int, ...] = ()  # problem statuses, besides those the module docstring says are added
    problem: type[BaseModel] | None = None  # the extension members of this route's problems (see above)
    problem_statuses: tuple[int, ...] = ()  # the statuses whose problems carry them; empty: every one
    public: bool = False  # no caller identity needed
    access: str = ""  # who may call it, in words: starts the operation's description
    roles: tuple[str, ...] = ()  # the roles it checks (shown, and listed as x-roles)
    description: str = ""
    operation_id: str = ""  # the handler's name when empty; unique within a document


def add_routes(
    app: web.Application, routes: Iterable[Route], *, wrap: Callable[[Handler], Handler] | None = None
) -> None:
    """Register the routes (each handler through ``wrap`` if given) and keep the table in ``app[ROUTES]``."""
    routes = tuple(routes)
    for route in routes:
        app.router.add_route(route.method, route.path, wrap(route.handler) if wrap else route.handler)
    app[ROUTES] = (*app.get(ROUTES, ()), *routes)
    app.setdefault(_DOCUMENTS, {})


def idempotency_key_header(max_length: int = 255) -> Param:
    """The optional ``Idempotency-Key`` header of a creation (the service enforces ``max_length``)."""
    return Param(
        "Idempotency-Key",
        "the same key (per caller) replays the first answer instead of creating twice",
        {"type": "string", "minLength": 1, "maxLength": max_length},
    )


# The documents describe the public API at the gateway: what a client sends there. (The
# gateway turns either into the signed identity token the services verify.)
CLIENT_AUTH: Mapping[str, Mapping[str, Any]] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "The `token` returned by `POST /api/accounts/sessions` (the same token as the browser session).",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "pf_session",
        "description": "The gateway's browser session (unsafe methods also need the CSRF token).",
    },
}

PROBLEM_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem document; `title` is French and fit to show a parent.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Malformed request (broken JSON or form, bad header)",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found (or not yours)",
    409: "Conflicts with the current state",
    410: "Gone (link expired or already used)",
    413: "Too large",
    415: "Unsupported media type",
    422: "Validation failed (errors per field)",
    429: "Too many attempts",
}


def build_document(
    routes: Iterable[Route],
    *,
    title: str,
    version: str = "1.0.0",
    description: str = "",
    extra_models: Sequence[type[BaseModel]] = (),
    security_schemes: Mapping[str, Mapping[str, Any]] = CLIENT_AUTH,
    problem_properties: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a route table.

    ``extra_models`` join ``components.schemas`` even if no route names them;
    ``security_schemes`` are the ways a caller proves who they are (any one will do);
    ``problem_properties`` are the extension members this service's problems carry.
    """
    documented = [r for r in routes if r.path.startswith("/api/")]
    wanted: list[tuple[type[BaseModel], str]] = []
    for r in documented:
        if r.body is not None:
            wanted.append((r.body, "validation"))
        if r.response is not None:
            wanted.append((r.response, "serialization"))
    wanted += [(model, "serialization") for model in extra_models]
    problem_models = list(dict.fromkeys(r.problem for r in documented if r.problem is not None))
    if shared := {model for model, _ in wanted} & set(problem_models):
        raise ValueError(f"{sorted(m.__name__ for m in shared)}: a problem model cannot also be a body or an answer")
    wanted += [(model, "serialization") for model in problem_models]
    refs, schema = models_json_schema(list(dict.fromkeys(wanted)), ref_template=REF_TEMPLATE)
    components: dict[str, Any] = dict(schema.get("$defs", {}))
    if "Problem" in components:
        raise ValueError("a model named Problem would hide the shared problem schema")
    problem = dict(PROBLEM_SCHEMA)
    problem["properties"] = {**PROBLEM_SCHEMA["properties"], **(problem_properties or {})}
    components["Problem"] = problem
    for model in problem_models:  # each model's own component becomes its problem variant
        name = _ref_name(refs[(model, "serialization")])
        components[name] = _problem_variant(problem, components[name], name)

    paths: dict[str, dict[str, Any]] = {}
    operation_ids: dict[str, str] = {}
    tags: list[str] = []
    for r in documented:
        op = _operation(r, refs, components, list(security_schemes))
        seen = operation_ids.setdefault(op["operationId"], f"{r.method} {r.path}")
        if seen != f"{r.method} {r.path}":
            raise ValueError(f"operationId {op['operationId']!r} of {r.method} {r.path} is {seen}'s too")
        paths.setdefault(r.path, {})[r.method.lower()] = op
        if r.tag not in tags:
            tags.append(r.tag)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {name: dict(scheme) for name, scheme in security_schemes.items()},
        },
    }


def _ref_name(schema: Mapping[str, Any]) -> str:
    return schema["$ref"].rsplit("/", 1)[1]


def _problem_variant(problem: Mapping[str, Any], extension: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The shared problem schema with the members of a route's ``problem`` model added."""
    added = extension.get("properties", {})
    if clash := set(added) & set(problem["properties"]):
        raise ValueError(f"problem model {name} redefines the shared problem members {sorted(clash)}")
    variant = {**problem, "properties": {**problem["properties"], **added}}
    variant["required"] = [*problem["required"], *extension.get("required", [])]
    if extension.get("description"):
        variant["description"] = f"{problem['description']} {extension['description']}"
    return variant


def _operation(r: Route, refs: dict, components: dict[str, Any], schemes: list[str]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": r.operation_id or r.handler.__name__,
        "summary": r.summary,
        "tags": [r.tag],
        "parameters": _parameters(r, components),
        "responses": {},
    }
    text = r.access
    if r.roles:
        text += " Roles: " + ", ".join(f"`{role}`" for role in r.roles) + " (or `admin`)."
    if r.description:
        text += "\n\n" + r.description
    if text.strip():
        op["description"] = text.strip()
    if r.roles:
        op["x-roles"] = list(r.roles)
    if not r.public:
        op["security"] = [{name: []} for name in schemes]

    if r.body is not None:
        body_schema = refs[(r.body, "validation")]
        content: dict[str, Any] = {JSON: {"schema": body_schema}}
        if r.multipart is not None:
            content[MULTIPART] = _multipart(body_schema, r.multipart)
        op["requestBody"] = {"required": True, "content": content}
    elif r.raw_body is not None:
        op["requestBody"] = {"required": True, "content": {r.raw_body: {"schema": {"type": "string"}}}}

    ok: dict[str, Any] = {"description": STATUS_TEXT.get(r.status, "OK")}
    if r.download:
        ok = {"description": "The file, as an attachment", "content": {t: {} for t in r.download}}
    elif r.text:
        ok["content"] = {r.text: {"schema": {"type": "string"}}}
    elif r.response is not None:
        ok["content"] = {JSON: {"schema": refs[(r.response, "serialization")]}}
    op["responses"][str(r.status)] = ok

    errors = set(r.errors)
    if not r.public:
        errors.add(401)
    if r.roles:
        errors.add(403)
    if r.body is not None:
        errors |= {400, 415, 422}
    if undocumented := set(r.problem_statuses) - errors:
        raise ValueError(f"{r.method} {r.path}: problem_statuses {sorted(undocumented)} are not among its errors")
    if r.problem_statuses and r.problem is None:
        raise ValueError(f"{r.method} {r.path}: problem_statuses without a problem model")
    variant = _ref_name(refs[(r.problem, "serialization")]) if r.problem is not None else "Problem"
    for status in sorted(errors):
        extended = not r.problem_statuses or status in r.problem_statuses
        name = variant if extended else "Problem"
        response: dict[str, Any] = {
            "description": STATUS_TEXT.get(status, "Error"),
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": REF_TEMPLATE.format(model=name)}}},
        }
        if status == 429:
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
        op["responses"][str(status)] = response
    return op


def _multipart(body_schema: dict[str, Any], file: FileField) -> dict[str, Any]:
    part: dict[str, Any] = {"type": "string", "contentMediaType": "application/octet-stream"}
    if file.description:
        part["description"] = file.description
    form: dict[str, Any] = {"schema": {"allOf": [body_schema, {"type": "object", "properties": {file.name: part}}]}}
    if file.media_types:
        form["encoding"] = {file.name: {"contentType": ", ".join(file.media_types)}}
    return form


def _parameters(r: Route, components: dict[str, Any]) -> list[dict[str, Any]]:
    names = re.findall(r"{(\w+)}", r.path)
    declared = {p.name: p for p in r.path_params}
    if unknown := set(declared) - set(names):
        raise ValueError(f"{r.method} {r.path}: path_params {sorted(unknown)} are not in the path")
    params: list[dict[str, Any]] = []
    for name in names:
        given = declared.get(name, Param(name, schema=UUID_SCHEMA))
        params.append({**_param(given, "path"), "required": True})
    if isinstance(r.query, type):
        schema = r.query.model_json_schema(ref_template=REF_TEMPLATE, mode="validation")
        for name, definition in schema.get("$defs", {}).items():
            components.setdefault(name, definition)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            description = prop.pop("description", None)
            prop.pop("title", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
    else:
        params += [_param(p, "query") for p in r.query]
    params += [_param(p, "header") for p in r.headers]
    return params


def _param(p: Param, where: str) -> dict[str, Any]:
    param: dict[str, Any] = {"name": p.name, "in": where, "required": p.required, "schema": dict(p.schema)}
    if p.description:
        param["description"] = p.description
    return param


def openapi_route(
    path: str,
    *,
    title: str,
    version: str = "1.0.0",
    description: str = "",
    extra_models: Sequence[type[BaseModel]] = (),
    security_schemes: Mapping[str, Mapping[str, Any]] = CLIENT_AUTH,
    problem_properties: Mapping[str, Mapping[str, Any]] | None = None,
    summary: str = "This document (OpenAPI 3.1)",
    tag: str = "Meta",
    access: str = "",
    operation_id: str = "get_openapi",
) -> Route:
    """``GET path``: the OpenAPI document of the app's whole route table (this route included).

    Put it in the table given to ``add_routes``; the document is built on first request and
    kept. ``openapi_document(table)`` gives the same document without a server.
    """

    def build(routes: Iterable[Route]) -> dict[str, Any]:
        return build_document(
            routes,
            title=title,
            version=version,
            description=description,
            extra_models=extra_models,
            security_schemes=security_schemes,
            problem_properties=problem_properties,
        )

    async def serve_openapi(request: web.Request) -> web.Response:
        documents = request.app[_DOCUMENTS]
        if path not in documents:
            documents[path] = build(request.app[ROUTES])
        return web.json_response(documents[path])

    serve_openapi.build_document = build  # type: ignore[attr-defined]  # read by openapi_document
    return Route("GET", path, serve_openapi, summary, tag, public=True, access=access, operation_id=operation_id)


def openapi_document(routes: Iterable[Route]) -> dict[str, Any]:
    """The document the table's ``openapi_route`` serves, built without an app or a server."""
    routes = tuple(routes)
    for route in routes:
        build = getattr(route.handler, "build_document", None)
        if build is not None:
            return build(routes)
    raise LookupError("no openapi_route in this table")
