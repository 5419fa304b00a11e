"""The OpenAPI 3.1 document of messaging, generated from the route tables and the models.

Pydantic v2 emits JSON Schema 2020-12, which is OpenAPI 3.1's schema dialect, so model
schemas go into ``components.schemas`` unchanged.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import schemas
from .http import ROUTE_TABLE, Route

TITLE = "Portail Famille — messaging"
VERSION = "1.0.0"
PROBLEM = "application/problem+json"

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Malformed request (broken JSON or form)",
    401: "No valid identity",
    403: "Not allowed for this role",
    404: "Not found (or not yours)",
    409: "Conflicts with the current state",
    413: "Too large",
    415: "Unsupported media type",
    422: "Validation failed (errors per field)",
}
_DOWNLOAD_TYPES = ("application/pdf", "image/jpeg", "image/png")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


@functools.lru_cache(maxsize=4)
def build_document(routes: tuple[Route, ...]) -> dict[str, Any]:
    wanted: list[tuple[type[BaseModel], str]] = [(schemas.ProblemOut, "serialization")]
    for r in routes:
        if r.body is not None:
            wanted.append((r.body, "validation"))
        if r.response is not None:
            wanted.append((r.response, "serialization"))
    wanted = list(dict.fromkeys(wanted))
    refs, defs = models_json_schema(wanted, ref_template="#/components/schemas/{model}")
    components = defs.get("$defs", {})

    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        paths.setdefault(r.path, {})[r.method.lower()] = _operation(r, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Parents' threads with the town's services (« Messagerie / nous contacter »), "
            "staff inboxes and replies, and the delivery log of every e-mail the suite sends. "
            "Reached through the gateway, which authenticates the caller.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "gatewayIdentity": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Portail-Identity",
                    "description": "Short-lived identity token signed by the gateway "
                    "(session cookie or bearer token at the gateway).",
                }
            },
        },
        "security": [{"gatewayIdentity": []}],
    }


def _operation(r: Route, refs: dict) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": r.handler.__name__,
        "summary": r.summary,
        "tags": [r.tag],
        "parameters": _parameters(r),
        "responses": {},
    }
    if r.access:
        op["description"] = r.access
    if r.body is not None:
        body_schema = refs[(r.body, "validation")]
        content: dict[str, Any] = {"application/json": {"schema": body_schema}}
        if r.multipart:
            content["multipart/form-data"] = {
                "schema": {
                    "allOf": [
                        body_schema,
                        {
                            "type": "object",
                            "properties": {
                                "attachment": {
                                    "type": "string",
                                    "contentMediaType": "application/octet-stream",
                                    "description": "optional PDF, JPEG or PNG "
                                    "(type checked from the content), size-limited",
                                }
                            },
                        },
                    ]
                },
                "encoding": {"attachment": {"contentType": ", ".join(_DOWNLOAD_TYPES)}},
            }
        op["requestBody"] = {"required": True, "content": content}
    if r.download:
        op["responses"][str(r.status)] = {
            "description": "The file, as an attachment",
            "content": {t: {} for t in _DOWNLOAD_TYPES},
        }
    elif r.response is not None:
        op["responses"][str(r.status)] = {
            "description": _STATUS_TEXT.get(r.status, "OK"),
            "content": {"application/json": {"schema": refs[(r.response, "serialization")]}},
        }
    else:
        op["responses"][str(r.status)] = {"description": _STATUS_TEXT.get(r.status, "OK")}
    if r.public:
        op["security"] = []
    for status in sorted({*r.errors} if r.public else {401, *r.errors}):
        op["responses"][str(status)] = {
            "description": _STATUS_TEXT.get(status, "Error"),
            "content": {PROBLEM: {"schema": _ref("ProblemOut")}},
        }
    return op


def _parameters(r: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
        for name in re.findall(r"{(\w+)}", r.path)
    ]
    if r.query is not None:
        schema = r.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            description = prop.pop("description", None)
            prop.pop("title", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
    if r.idempotency_key:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "the same key (per user) replays the first answer instead of creating twice",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    return params


async def serve_openapi(request: web.Request) -> web.Response:
    """This document."""
    return web.json_response(build_document(request.app[ROUTE_TABLE]))
