"""The public API's documentation: ``GET /api/openapi.json`` and ``GET /api/docs``.

Each service serves its own OpenAPI 3.1 document at ``/api/<service>/openapi.json``,
generated from its Pydantic models. The gateway merges them into one: paths are already
unique (each starts with its service's prefix); component schemas are renamed
``<service>.<Name>`` so that two services' ``Problem`` or ``Thread`` never collide. A
service that does not answer is listed under ``x-unavailable-services`` instead of failing
the whole document. The merge is cached for a minute: documents change only on deploy.
``/api/docs`` renders the merged document as a plain HTML page (no JavaScript, no CDN).
"""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import structlog
from aiohttp import web

from .pages import render
from .settings import SERVICES, SETTINGS
from .upstream import HTTP_CLIENT

log = structlog.get_logger(__name__)

CACHE_SECONDS = 60.0
FETCH_TIMEOUT_SECONDS = 3.0
METHODS = ("get", "post", "put", "patch", "delete")

_CACHE = web.AppKey("openapi_cache", dict)


def _renamed(node: Any, service: str, names: set[str]) -> Any:
    """A copy of ``node`` whose component references point at the prefixed names."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
                name = value.rsplit("/", 1)[1]
                out[key] = f"#/components/schemas/{service}.{name}" if name in names else value
            else:
                out[key] = _renamed(value, service, names)
        return out
    if isinstance(node, list):
        return [_renamed(item, service, names) for item in node]
    return node


def merge(documents: dict[str, dict], unavailable: list[str]) -> dict:
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Portail Famille — API publique",
            "version": "1",
            "description": "Merged from the services' own documents; see API.md for the conventions.",
        },
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": {}},
        "tags": [],
    }
    for service, doc in documents.items():
        components = doc.get("components") or {}
        names = set((components.get("schemas") or {}).keys())
        for path, item in (doc.get("paths") or {}).items():
            merged["paths"][path] = _renamed(item, service, names)
        for name, schema in (components.get("schemas") or {}).items():
            merged["components"]["schemas"][f"{service}.{name}"] = _renamed(schema, service, names)
        merged["components"]["securitySchemes"].update(components.get("securitySchemes") or {})
        known = {t["name"] for t in merged["tags"]}
        merged["tags"] += [t for t in doc.get("tags") or [] if t.get("name") not in known]
    if unavailable:
        merged["x-unavailable-services"] = unavailable
    return merged


async def _fetch(app: web.Application, service: str) -> dict | None:
    url = f"{app[SETTINGS].service_url(service)}/api/{service}/openapi.json"
    try:
        async with app[HTTP_CLIENT].get(url, timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)) as resp:
            if resp.status != 200:
                return None
            return await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        log.info("openapi_fetch_failed", service=service, error=type(exc).__name__)
        return None


async def merged_document(app: web.Application) -> dict:
    cache = app[_CACHE]
    if cache.get("doc") is not None and time.monotonic() - cache["at"] < CACHE_SECONDS:
        return cache["doc"]
    documents, unavailable = {}, []
    for service in SERVICES:
        doc = await _fetch(app, service)
        if doc is None:
            unavailable.append(service)
        else:
            documents[service] = doc
    merged = merge(documents, unavailable)
    if not unavailable:  # a partial document is served, but not kept
        cache.update(doc=merged, at=time.monotonic())
    return merged


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(await merged_document(request.app))


async def docs_page(request: web.Request) -> web.Response:
    doc = await merged_document(request.app)
    groups: dict[str, list[dict]] = {}
    for path, item in sorted(doc["paths"].items()):
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["Autres"])[0]
            groups.setdefault(tag, []).append(
                {"method": method.upper(), "path": path, "summary": op.get("summary", ""), "security": op.get("security")}
            )
    return render(
        request,
        "apidocs.html",
        {"groups": sorted(groups.items()), "unavailable": doc.get("x-unavailable-services", [])},
    )


def setup(app: web.Application) -> None:
    app[_CACHE] = {}
    app.router.add_get("/api/openapi.json", openapi_json)
    app.router.add_get("/api/docs", docs_page)
