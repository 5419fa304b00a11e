"""The OpenAPI 3.1 document, generated from the route table and the Pydantic models.

The gateway merges each service's document into ``GET /api/openapi.json``; the paths are
those a client calls at the gateway. Internal routes (``/internal/...``) are left out.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic.json_schema import models_json_schema

from .web import Route

TITLES = {
    400: "Demande mal formée",
    401: "Non authentifié",
    403: "Accès refusé",
    404: "Introuvable",
    409: "Conflit",
    410: "Lien expiré ou déjà utilisé",
    413: "Contenu trop volumineux",
    415: "Format non accepté",
    422: "Données invalides",
    429: "Trop de tentatives",
}

PROBLEM_SCHEMA = {
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
        "retry_after": {"type": "integer", "description": "seconds, with 429 (also in Retry-After)"},
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
        "report": {
            "type": "array",
            "description": "CSV import: one entry per rejected line",
            "items": {
                "type": "object",
                "properties": {"line": {"type": ["integer", "null"]}, "reason": {"type": "string"}},
            },
        },
    },
}

_ACCESS_TEXT = {
    "public": "No login needed.",
    "user": "A logged-in user.",
    "dossier": "A logged-in parent whose account is linked to a family file; only their own is reachable.",
    "staff": "Staff only.",
}


def _path_params(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
        for name in re.findall(r"{(\w+)}", path)
    ]


def build(routes: list[Route], *, version: str = "1.0.0") -> dict[str, Any]:
    public = [r for r in routes if r.path.startswith("/api/")]
    models: list = []
    for r in public:
        if r.body is not None and r.body_content_type == "application/json":
            models.append((r.body, "validation"))
        if r.response is not None:
            models.append((r.response, "serialization"))
    unique = list(dict.fromkeys(models))
    refs, schema = models_json_schema(unique, ref_template="#/components/schemas/{model}")
    components: dict[str, Any] = dict(schema.get("$defs", {}))
    components["Problem"] = PROBLEM_SCHEMA

    paths: dict[str, dict[str, Any]] = {}
    for r in public:
        errors = sorted(
            set(r.errors)
            | ({401} if r.access not in ("public",) else set())
            | ({403} if r.access in ("staff", "dossier") else set())
        )
        if r.body is not None:
            errors = sorted(set(errors) | {400, 415, 422})
        description = _ACCESS_TEXT.get(r.access, "")
        if r.roles:
            description += " Roles: " + ", ".join(f"`{role}`" for role in r.roles) + " (or `admin`)."
        if r.description:
            description += "\n\n" + r.description
        operation: dict[str, Any] = {
            "summary": r.summary,
            "description": description.strip(),
            "operationId": r.handler.__name__,
            "tags": [r.tag],
            "parameters": _path_params(r.path)
            + [
                {
                    "name": q.name,
                    "in": "query",
                    "required": q.required,
                    "description": q.description,
                    "schema": q.schema,
                }
                for q in r.query
            ]
            + [
                {
                    "name": h,
                    "in": "header",
                    "required": h == "X-Session-Token",
                    "schema": {"type": "string", "maxLength": 200},
                }
                for h in (*r.headers, *(("Idempotency-Key",) if r.idempotent else ()))
            ],
            "responses": {},
        }
        if r.roles:
            operation["x-roles"] = list(r.roles)
        if r.access != "public":
            operation["security"] = [{"bearerAuth": []}, {"sessionCookie": []}]
        if r.body is not None:
            if r.body_content_type == "application/json":
                body_schema = refs[(r.body, "validation")]
            else:
                body_schema = {"type": "string"}
            operation["requestBody"] = {"required": True, "content": {r.body_content_type: {"schema": body_schema}}}
        elif r.body_content_type == "text/csv":
            operation["requestBody"] = {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
        ok: dict[str, Any] = {"description": "OK" if r.status < 300 else "Done"}
        if r.response is not None:
            ok["content"] = {"application/json": {"schema": refs[(r.response, "serialization")]}}
        operation["responses"][str(r.status)] = ok
        for status in errors:
            response: dict[str, Any] = {
                "description": TITLES.get(status, "Erreur"),
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
            if status == 429:
                response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
            operation["responses"][str(status)] = response
        paths.setdefault(r.path, {})[r.method.lower()] = operation

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Portail Famille — accounts",
            "version": version,
            "description": "Parents' accounts, sessions and family files; staff administration under /api/accounts/admin.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The `token` returned by `POST /api/accounts/sessions` (the same token as the browser session).",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The gateway's browser session (unsafe methods also need the CSRF token).",
                },
            },
        },
    }
