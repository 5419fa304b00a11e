"""Every service's OpenAPI document, as its app serves it, is valid OpenAPI 3.1 and complete,
and so is the gateway's merge of them. The apps are built, never started: no database, no broker."""

from __future__ import annotations

import importlib
import json
import re

import pytest
from aiohttp.test_utils import make_mocked_request
from gateway.apidocs import merge
from openapi_spec_validator import validate
from servicekit.openapi import ROUTES
from servicekit.testing import documented_operations, served_api_routes

SERVICES = ("accounts", "billing", "messaging", "planning")


def build_app(name: str):
    module = importlib.import_module(f"{name}.app")
    # Unknown keyword arguments are ignored by the other services' settings.
    return module.create_app(module.SPEC.settings_class(environment="test", password_hash_profile="test"))


async def served_document(app, name: str) -> dict:
    """What ``GET /api/<name>/openapi.json`` answers, by calling the registered handler."""
    path = f"/api/{name}/openapi.json"
    (route,) = [r for r in app[ROUTES] if r.path == path and r.method == "GET"]
    response = await route.handler(make_mocked_request("GET", path, app=app))
    assert response.status == 200 and response.content_type == "application/json"
    return json.loads(response.body)


@pytest.fixture(scope="module")
async def documents() -> dict[str, tuple[object, dict]]:
    out = {}
    for name in SERVICES:
        app = build_app(name)
        out[name] = (app, await served_document(app, name))
    return out


@pytest.mark.parametrize("name", SERVICES)
async def test_the_service_document_is_valid_and_lists_every_api_route(documents, name):
    app, doc = documents[name]
    validate(doc)
    assert doc["openapi"] == "3.1.0" and doc["info"]["title"].endswith(name)
    assert served_api_routes(app) and served_api_routes(app) == documented_operations(doc)
    for ref in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc))):
        assert ref in doc["components"]["schemas"], ref
    # what the gateway's merge and its /api/docs page read
    assert doc["components"]["securitySchemes"] and "Problem" in doc["components"]["schemas"]
    tags = [t["name"] for t in doc["tags"]]
    for ops in doc["paths"].values():
        for op in ops.values():
            assert op["summary"] and op["tags"][0] in tags


async def test_planning_documents_its_activities(documents):
    _, doc = documents["planning"]
    op = doc["paths"]["/api/planning/activities"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    listing = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert {"school_year", "activities"} <= set(listing["properties"])
    assert "security" not in op  # no login needed


async def test_operation_ids_are_unique_across_services_and_the_merge_is_valid(documents):
    seen: dict[str, str] = {}
    for name, (_, doc) in documents.items():
        for path, ops in doc["paths"].items():
            for method, op in ops.items():
                where = f"{name}: {method.upper()} {path}"
                assert op["operationId"] not in seen, (where, seen.get(op["operationId"]))
                seen[op["operationId"]] = where
    merged = merge({name: doc for name, (_, doc) in documents.items()}, [])
    validate(merged)
    assert {"Accounts", "parents", "Planning"} <= {t["name"] for t in merged["tags"]}
    # One convention everywhere: what a client sends to the gateway.
    assert set(merged["components"]["securitySchemes"]) == {"bearerAuth", "sessionCookie"}
