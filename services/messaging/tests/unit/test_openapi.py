"""The OpenAPI document lists every route the app serves, with valid schemas."""

from __future__ import annotations

from messaging.app import ROUTES, MessagingSettings, create_app
from servicekit.openapi import openapi_document
from servicekit.testing import checked_component_schemas, documented_operations, served_api_routes


def test_every_api_route_is_documented():
    app = create_app(MessagingSettings(environment="test"))
    document = openapi_document(ROUTES)
    served = served_api_routes(app)
    assert served and served == documented_operations(document)


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
    checked_component_schemas(document)
    new_thread = document["paths"]["/api/messaging/threads"]["post"]
    assert set(new_thread["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert new_thread["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ThreadOut"
    }
    assert "application/problem+json" in new_thread["responses"]["422"]["content"]
    box = next(p for p in document["paths"]["/api/messaging/threads"]["get"]["parameters"] if p["name"] == "box")
    assert box["in"] == "query" and box["schema"]["enum"] == ["inbox", "sent"]
