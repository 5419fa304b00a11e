"""The OpenAPI document lists every /api route billing serves, with valid schemas; money
fields are integers in every schema (a float is never an amount)."""

from __future__ import annotations

from billing.app import ROUTES, BillingSettings, create_app
from servicekit.openapi import openapi_document
from servicekit.testing import checked_component_schemas, documented_operations, served_api_routes


def test_every_api_route_is_documented():
    app = create_app(BillingSettings(environment="test"))
    document = openapi_document(ROUTES)
    served = served_api_routes(app)
    assert served and served == documented_operations(document)


def test_the_contract_paths_are_there():
    paths = openapi_document(ROUTES)["paths"]
    for method, path in [
        ("get", "/api/billing/account"),
        ("get", "/api/billing/history"),
        ("get", "/api/billing/payments/{id}"),
        ("post", "/api/billing/payments/notifications/{provider}"),
        ("put", "/api/billing/admin/tariffs/{activity_id}"),
        ("post", "/api/billing/admin/dossiers/{dossier_id}/qf"),
    ]:
        assert method in paths[path], (method, path)
    notification = paths["/api/billing/payments/notifications/{provider}"]["post"]
    assert "security" not in notification
    assert notification["parameters"][0]["schema"]["enum"] == ["simulated", "payfip"]
    assert paths["/api/billing/admin/tariffs/{activity_id}"]["put"]["x-roles"] == ["billing_staff"]


def _money_properties(schema, path=""):
    """Every ``*_cents`` property anywhere in a schema, with where it was found."""
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            if name.endswith("_cents"):
                yield f"{path}.{name}", sub
        for key, sub in schema.items():
            yield from _money_properties(sub, f"{path}.{key}")
    elif isinstance(schema, list):
        for i, sub in enumerate(schema):
            yield from _money_properties(sub, f"{path}[{i}]")


def test_schemas_are_valid_and_money_is_integer_cents():
    document = openapi_document(ROUTES)
    components = checked_component_schemas(document)
    found = list(_money_properties(components))
    assert len(found) > 10
    for where, prop in found:
        assert prop.get("type") == "integer", where
