"""The merged OpenAPI document and its readable page."""

from __future__ import annotations

import socket

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from gateway.apidocs import merge


def service_doc(service: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": service, "version": "1"},
        "tags": [{"name": service.title()}],
        "paths": {
            f"/api/{service}/things": {
                "get": {
                    "tags": [service.title()],
                    "summary": f"List {service} things",
                    "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}},
                }
            }
        },
        "components": {
            "schemas": {
                "Thing": {"type": "object", "properties": {"problem": {"$ref": "#/components/schemas/Problem"}}},
                "Problem": {"type": "object", "title": f"{service} problem"},
            }
        },
    }


def test_merge_prefixes_schemas_so_services_never_collide():
    merged = merge({"accounts": service_doc("accounts"), "messaging": service_doc("messaging")}, ["billing"])
    schemas = merged["components"]["schemas"]
    assert {"accounts.Thing", "accounts.Problem", "messaging.Thing", "messaging.Problem"} <= set(schemas)
    assert schemas["messaging.Thing"]["properties"]["problem"]["$ref"] == "#/components/schemas/messaging.Problem"
    ref = merged["paths"]["/api/accounts/things"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ref["$ref"] == "#/components/schemas/accounts.Thing"
    assert merged["x-unavailable-services"] == ["billing"]
    assert [t["name"] for t in merged["tags"]] == ["Accounts", "Messaging"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def doc_servers():
    servers = {}
    for service in ("accounts", "messaging"):
        app = web.Application()
        doc = service_doc(service)
        async def serve_doc(_request, doc=doc):
            return web.json_response(doc)

        app.router.add_get(f"/api/{service}/openapi.json", serve_doc)
        servers[service] = TestServer(app)
        await servers[service].start_server()
    yield servers
    for server in servers.values():
        await server.close()


async def test_gateway_serves_the_merged_document_and_a_french_page(make_gateway, doc_servers):
    down = f"http://127.0.0.1:{free_port()}"
    gateway = await make_gateway(
        accounts_url=str(doc_servers["accounts"].make_url("")).rstrip("/"),
        messaging_url=str(doc_servers["messaging"].make_url("")).rstrip("/"),
        planning_url=down,
        billing_url=down,
    )
    resp = await gateway.get("/api/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    assert set(doc["paths"]) == {"/api/accounts/things", "/api/messaging/things"}
    assert doc["x-unavailable-services"] == ["planning", "billing"]

    page = await gateway.get("/api/docs")
    assert page.status == 200
    html = await page.text()
    assert "Documentation de l'API" in html and "/api/messaging/things" in html and "List accounts things" in html
    assert "planning, billing" in html
