"""The OpenAPI document lists every route the app serves, with valid schemas."""

from __future__ import annotations

import re

from jsonschema import Draft202012Validator
from messaging.app import ROUTES, MessagingSettings, create_app
from servicekit.openapi import openapi_document


def test_every_api_route_is_documented():
    app = create_app(MessagingSettings(environment="test"))
    document = openapi_document(ROUTES)
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/api/") and route.method != "HEAD"
    }
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert served and served == documented


def test_the_contract_paths_of_api_md_are_there():
    paths = openapi_document(ROUTES)["paths"]
    for method, path in [
        ("get", "/api/messaging/themes"),
        ("post", "/api/messaging/threads"),
        ("get", "/api/messaging/threads"),
        ("get", "/api/messaging/threads/{id}"),
        ("post", "/api/messaging/threads/{id}/messages"),
        ("delete", "/api/messaging/threads/{id}"),
        ("get", "/api/messaging/notifications"),
        ("get", "/api/messaging/admin/threads"),
        ("post", "/api/messaging/admin/threads/{id}/replies"),
    ]:
        assert method in paths[path], (method, path)


def test_schemas_are_valid_json_schema_and_references_resolve():
    document = openapi_document(ROUTES)
    assert document["openapi"] == "3.1.0"
    components = document["components"]["schemas"]
    for schema in components.values():
        Draft202012Validator.check_schema(schema)
    text = str(document)
    for ref in re.findall(r"#/components/schemas/([A-Za-z0-9_\-]+)", text):
        assert ref in components, ref
    new_thread = document["paths"]["/api/messaging/threads"]["post"]
    assert set(new_thread["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert new_thread["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ThreadOut"
    }
    assert "application/problem+json" in new_thread["responses"]["422"]["content"]
    box = next(p for p in document["paths"]["/api/messaging/threads"]["get"]["parameters"] if p["name"] == "box")
    assert box["in"] == "query" and box["schema"]["enum"] == ["inbox", "sent"]
