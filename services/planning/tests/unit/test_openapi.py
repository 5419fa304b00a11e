"""The OpenAPI document lists every route the app serves, with valid schemas."""

from __future__ import annotations

import re

from jsonschema import Draft202012Validator
from planning.app import ROUTES, PlanningSettings, create_app
from servicekit.openapi import openapi_document


def test_every_api_route_is_documented():
    app = create_app(PlanningSettings(environment="test"))
    document = openapi_document(ROUTES)
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/api/") and route.method != "HEAD"
    }
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert served and served == documented


def test_the_contract_paths_are_there():
    paths = openapi_document(ROUTES)["paths"]
    for method, path in [
        ("get", "/api/planning/activities"),
        ("get", "/api/planning/children"),
        ("get", "/api/planning/children/{child_id}/months/{month}"),
        ("put", "/api/planning/children/{child_id}/months/{month}"),
        ("get", "/api/planning/basket"),
        ("delete", "/api/planning/basket"),
        ("post", "/api/planning/basket/checkout"),
        ("post", "/api/planning/admin/activities"),
        ("put", "/api/planning/admin/months/{month}"),
        ("post", "/api/planning/admin/closures"),
        ("post", "/api/planning/admin/enrolments"),
        ("get", "/api/planning/admin/daily-lists"),
        ("post", "/api/planning/admin/attendance"),
    ]:
        assert method in paths[path], (method, path)


def test_schemas_are_valid_and_the_staff_routes_say_their_role():
    document = openapi_document(ROUTES)
    assert document["openapi"] == "3.1.0"
    components = document["components"]["schemas"]
    for schema in components.values():
        Draft202012Validator.check_schema(schema)
    for ref in re.findall(r"#/components/schemas/([A-Za-z0-9_\-]+)", str(document)):
        assert ref in components, ref
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if path.startswith("/api/planning/admin/"):
                assert operation["x-roles"] == ["planning_staff"] and "403" in operation["responses"]
    checkout = document["paths"]["/api/planning/basket/checkout"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in checkout["parameters"])
    assert {"409", "503"} <= set(checkout["responses"])
    export = document["paths"]["/api/planning/admin/exports/daily-list"]["get"]
    assert "text/csv" in export["responses"]["200"]["content"]
    closures = document["paths"]["/api/planning/admin/closures"]["get"]
    assert {p["name"] for p in closures["parameters"]} == {"from", "to"}
