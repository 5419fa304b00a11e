"""The OpenAPI document lists every route the app serves, with valid schemas."""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from planning.app import ROUTES, PlanningSettings, create_app
from planning.domain import DayProblem, Month, PlanningError, errors
from planning.service.errors import from_domain
from servicekit.openapi import openapi_document
from servicekit.testing import checked_component_schemas, documented_operations, served_api_routes


def test_every_api_route_is_documented():
    app = create_app(PlanningSettings(environment="test"))
    document = openapi_document(ROUTES)
    served = served_api_routes(app)
    assert served and served == documented_operations(document)


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
    checked_component_schemas(document)
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


@pytest.mark.parametrize("text", ["2026-12", "2027-01", "2026-13", "2026-00", "2026-1", "26-12", "2026-12-01", ""])
def test_the_documented_month_pattern_is_what_the_service_accepts(text):
    (param,) = [
        p
        for p in openapi_document(ROUTES)["paths"]["/api/planning/admin/months/{month}"]["put"]["parameters"]
        if p["name"] == "month"
    ]
    try:
        Month.parse(text)
        accepted = True
    except PlanningError:
        accepted = False
    assert bool(re.search(param["schema"]["pattern"], text)) == accepted


def test_the_refused_days_planning_answers_are_what_its_document_describes():
    document = openapi_document(ROUTES)
    schemas = document["components"]["schemas"]
    validator = Draft202012Validator(
        {"$ref": "#/components/schemas/DaysProblem", "components": document["components"]},
        format_checker=FormatChecker(),
    )
    codes = schemas["DayProblemOut"]["properties"]["code"]["enum"]
    refused = [DayProblem(date(2026, 12, 1 + i), UUID(int=1), code, "Non.") for i, code in enumerate(codes)]
    problem = from_domain(errors.rules_violated(refused)).to_problem().to_dict("/x", "request-id")
    assert len(problem["days"]) == len(codes) and not list(validator.iter_errors(problem))
    # no member the document does not name, at either level
    assert set(problem) <= set(schemas["DaysProblem"]["properties"])
    assert all(set(day) <= set(schemas["DayProblemOut"]["properties"]) for day in problem["days"])
    months = document["paths"]["/api/planning/children/{child_id}/months/{month}"]["put"]["responses"]
    assert months["422"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/DaysProblem")
    assert months["409"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
