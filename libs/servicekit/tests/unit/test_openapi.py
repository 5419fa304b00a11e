"""The declarative route table: what aiohttp registers and the OpenAPI 3.1 document it writes."""

from __future__ import annotations

import datetime
import enum
import functools
import json
import re
import uuid
from typing import Literal

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from pydantic import BaseModel, Field
from servicekit.openapi import (
    ROUTES,
    FileField,
    Param,
    Route,
    add_routes,
    build_document,
    idempotency_key_header,
    openapi_document,
    openapi_route,
)


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Sort(enum.Enum):
    """Only the query names it: its schema joins the components all the same."""

    NEWEST = "newest"
    NAME = "name"


class Label(BaseModel):
    text: str


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    colour: Colour = Colour.RED


class ItemOut(BaseModel):
    id: uuid.UUID
    name: str
    labels: list[Label]


class ItemPage(BaseModel):
    items: list[ItemOut]
    next_cursor: str | None


class ItemQuery(BaseModel):
    state: Literal["open", "closed"] = Field("open", description="which items")
    colour: Colour | None = None
    limit: int = Field(20, ge=1, le=100)
    sort: Sort = Sort.NEWEST


class Unused(BaseModel):
    """Not named by any route: only listed through extra_models."""

    value: int


class DayProblem(BaseModel):
    date: datetime.date
    code: Literal["day_full", "deadline_passed"]


class DaysProblem(BaseModel):
    """The refused days."""

    days: list[DayProblem] = Field(default_factory=list, description="one entry per refused day")


class Teapot(Exception):
    pass


async def create_item(request: web.Request) -> web.Response:
    return web.json_response({}, status=201)


async def list_items(request: web.Request) -> web.Response:
    return web.json_response({"items": [], "next_cursor": None})


async def get_item(request: web.Request) -> web.Response:
    raise Teapot()


async def search(request: web.Request) -> web.Response:
    return web.json_response({"items": [], "next_cursor": None})


async def download(request: web.Request) -> web.Response:
    return web.Response(body=b"%PDF-", content_type="application/pdf")


async def delete_item(request: web.Request) -> web.Response:
    return web.Response(status=204)


async def import_items(request: web.Request) -> web.Response:
    return web.json_response({})


async def internal_only(request: web.Request) -> web.Response:
    return web.json_response({})


async def book_month(request: web.Request) -> web.Response:
    return web.json_response({})


async def notify(request: web.Request) -> web.Response:
    return web.Response(text="OK")


MONTH = Param("month", "YYYY-MM", {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"})


ITEMS = "/api/toy/items"
FILE = FileField("attachment", "optional PDF", ("application/pdf",))

TOY = (
    Route(
        "POST",
        ITEMS,
        create_item,
        "Create an item",
        "Items",
        body=ItemIn,
        multipart=FILE,
        response=ItemOut,
        status=201,
        errors=(409,),
        headers=(idempotency_key_header(100),),
        access="A signed-in user.",
        description="Once per key.",
    ),
    Route("GET", ITEMS, list_items, "List items", "Items", query=ItemQuery, response=ItemPage, errors=(422,)),
    Route("GET", ITEMS + "/{id}", get_item, "One item", "Items", response=ItemOut, errors=(404,)),
    Route(
        "GET",
        "/api/toy/search",
        search,
        "Search",
        "Search",
        query=(
            Param("q", "part of the name", required=True),
            Param("limit", "page size", {"type": "integer", "minimum": 1}),
        ),
        response=ItemPage,
        public=True,
        access="No login needed.",
    ),
    Route("GET", ITEMS + "/{id}/file", download, "Download", "Items", download=("application/pdf", "image/png")),
    Route("DELETE", ITEMS + "/{id}", delete_item, "Delete", "Admin", status=204, roles=("toy_staff",)),
    Route(
        "POST",
        "/api/toy/import",
        import_items,
        "Import CSV",
        "Admin",
        raw_body="text/csv",
        roles=("toy_staff",),
        errors=(413, 429),
        query=(Param("dry_run", "check only", {"type": "boolean"}),),
    ),
    Route("POST", "/internal/toy", internal_only, "Internal", "Internal", body=ItemIn),
    Route(
        "PUT",
        ITEMS + "/{id}/months/{month}",
        book_month,
        "Book a month",
        "Items",
        body=ItemIn,
        path_params=(MONTH,),
        errors=(404, 409),
        problem=DaysProblem,
        problem_statuses=(409, 422),
    ),
    Route(
        "POST",
        "/api/toy/notifications/{provider}",
        notify,
        "A provider's notification",
        "Search",
        raw_body="application/x-www-form-urlencoded",
        text="text/plain",
        path_params=(Param("provider", schema={"type": "string", "enum": ["simulated", "payfip"]}),),
        public=True,
    ),
    openapi_route(
        "/api/toy/openapi.json",
        title="Toy",
        version="2.0.0",
        description="A toy service.",
        extra_models=(Unused,),
        problem_properties={"retry_after": {"type": "integer"}},
    ),
)


@pytest.fixture(scope="module")
def doc() -> dict:
    return openapi_document(TOY)


def refs_in(node) -> set[str]:
    return set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(node)))


def test_the_document_is_valid_openapi_3_1(doc):
    validate(doc)  # openapi-spec-validator picks the 3.1 validator from "openapi": "3.1.0"
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {"title": "Toy", "version": "2.0.0", "description": "A toy service."}
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_reference_resolves_inside_components(doc):
    refs = refs_in(doc)
    assert refs, "the toy table has references"
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in doc["components"]["schemas"], ref
    assert {"ItemIn", "ItemOut", "ItemPage", "Label", "Colour", "Sort", "Unused", "Problem", "DaysProblem"} <= set(
        doc["components"]["schemas"]
    )


def test_only_api_paths_are_documented_with_their_methods_and_tags(doc):
    assert {(m, p) for p, ops in doc["paths"].items() for m in ops} == {
        ("post", ITEMS),
        ("get", ITEMS),
        ("get", ITEMS + "/{id}"),
        ("get", "/api/toy/search"),
        ("get", ITEMS + "/{id}/file"),
        ("delete", ITEMS + "/{id}"),
        ("post", "/api/toy/import"),
        ("put", ITEMS + "/{id}/months/{month}"),
        ("post", "/api/toy/notifications/{provider}"),
        ("get", "/api/toy/openapi.json"),
    }
    assert doc["tags"] == [{"name": "Items"}, {"name": "Search"}, {"name": "Admin"}, {"name": "Meta"}]
    for ops in doc["paths"].values():
        for op in ops.values():
            assert op["summary"] and len(op["tags"]) == 1 and op["operationId"]
    assert doc["paths"][ITEMS]["get"]["operationId"] == "list_items"


def test_a_json_body_with_its_multipart_alternative_and_idempotency_key(doc):
    op = doc["paths"][ITEMS]["post"]
    content = op["requestBody"]["content"]
    assert op["requestBody"]["required"] is True
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ItemIn"}
    form = content["multipart/form-data"]
    assert form["schema"]["allOf"][0] == {"$ref": "#/components/schemas/ItemIn"}
    assert form["schema"]["allOf"][1]["properties"]["attachment"]["description"] == "optional PDF"
    assert form["encoding"] == {"attachment": {"contentType": "application/pdf"}}
    assert op["responses"]["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ItemOut"}
    # a JSON body adds 400, 415, 422; needing an identity adds 401
    assert set(op["responses"]) == {"201", "400", "401", "409", "415", "422"}
    for status in ("400", "401", "409", "415", "422"):
        assert op["responses"][status]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    (key,) = op["parameters"]
    assert key == {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": key["description"],
        "schema": {"type": "string", "minLength": 1, "maxLength": 100},
    }
    assert op["security"] == [{"bearerAuth": []}, {"sessionCookie": []}]
    assert op["description"] == "A signed-in user.\n\nOnce per key."
    assert doc["components"]["securitySchemes"]["sessionCookie"]["name"] == "pf_session"


def test_query_parameters_from_a_model_or_declared_by_hand(doc):
    by_model = {p["name"]: p for p in doc["paths"][ITEMS]["get"]["parameters"]}
    assert set(by_model) == {"state", "colour", "limit", "sort"}
    assert all(p["in"] == "query" and p["required"] is False for p in by_model.values())
    assert by_model["state"]["schema"]["enum"] == ["open", "closed"]
    assert by_model["state"]["description"] == "which items"
    assert "title" not in by_model["state"]["schema"]
    assert by_model["limit"]["schema"]["maximum"] == 100
    assert "#/components/schemas/Colour" in refs_in(by_model["colour"])  # an enum the query shares with the body
    assert refs_in(by_model["sort"]) == {"#/components/schemas/Sort"}
    assert doc["components"]["schemas"]["Sort"]["enum"] == ["newest", "name"]

    by_hand = {p["name"]: p for p in doc["paths"]["/api/toy/search"]["get"]["parameters"]}
    assert by_hand["q"] == {
        "name": "q",
        "in": "query",
        "required": True,
        "description": "part of the name",
        "schema": {"type": "string"},
    }
    assert by_hand["limit"]["schema"] == {"type": "integer", "minimum": 1}


def test_path_parameters_public_routes_downloads_and_204(doc):
    one = doc["paths"][ITEMS + "/{id}"]["get"]
    assert one["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
    ]
    search_op = doc["paths"]["/api/toy/search"]["get"]
    assert "security" not in search_op and "401" not in search_op["responses"]
    assert search_op["description"] == "No login needed."

    file = doc["paths"][ITEMS + "/{id}/file"]["get"]["responses"]["200"]
    assert file["content"] == {"application/pdf": {}, "image/png": {}}

    deleted = doc["paths"][ITEMS + "/{id}"]["delete"]
    assert deleted["responses"]["204"] == {"description": "No Content"}
    assert set(deleted["responses"]) == {"204", "401", "403"}  # roles add 403
    assert deleted["x-roles"] == ["toy_staff"]
    assert deleted["description"] == "Roles: `toy_staff` (or `admin`)."


def test_a_raw_body_and_a_429_with_retry_after(doc):
    op = doc["paths"]["/api/toy/import"]["post"]
    assert op["requestBody"]["content"] == {"text/csv": {"schema": {"type": "string"}}}
    assert set(op["responses"]) == {"200", "401", "403", "413", "429"}  # no 400/415/422 added: not a JSON body
    assert "Retry-After" in op["responses"]["429"]["headers"]
    assert op["parameters"][0]["schema"] == {"type": "boolean"}


def test_the_shared_problem_schema_takes_the_service_extensions(doc):
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors", "request_id", "retry_after"} <= set(problem["properties"])
    assert "retry_after" not in build_document(TOY, title="t")["components"]["schemas"]["Problem"]["properties"]


def test_a_path_parameter_is_a_uuid_unless_the_route_declares_its_schema(doc):
    params = doc["paths"][ITEMS + "/{id}/months/{month}"]["put"]["parameters"]
    assert params == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}},
        {"name": "month", "in": "path", "required": True, "description": "YYYY-MM", "schema": dict(MONTH.schema)},
    ]
    (provider,) = doc["paths"]["/api/toy/notifications/{provider}"]["post"]["parameters"]
    assert provider["schema"] == {"type": "string", "enum": ["simulated", "payfip"]} and provider["required"]

    async def odd(request):
        return web.json_response({})

    misnamed = Route("GET", "/api/toy/months/{month}", odd, "Odd", "Odd", path_params=(Param("monht"),))
    with pytest.raises(ValueError, match="monht"):
        build_document((misnamed,), title="t")


def test_a_routes_problems_may_carry_more_members_on_the_statuses_it_names(doc):
    op = doc["paths"][ITEMS + "/{id}/months/{month}"]["put"]
    problems = {status: answer for status, answer in op["responses"].items() if status != "200"}
    schema_of = {status: answer["content"]["application/problem+json"]["schema"] for status, answer in problems.items()}
    assert schema_of == {
        "400": {"$ref": "#/components/schemas/Problem"},
        "401": {"$ref": "#/components/schemas/Problem"},
        "404": {"$ref": "#/components/schemas/Problem"},
        "409": {"$ref": "#/components/schemas/DaysProblem"},
        "415": {"$ref": "#/components/schemas/Problem"},
        "422": {"$ref": "#/components/schemas/DaysProblem"},
    }
    components = doc["components"]["schemas"]
    variant, shared = components["DaysProblem"], components["Problem"]
    # the shared members and the service-wide extensions, the model's members added
    assert set(variant["properties"]) == {*shared["properties"], "days"}
    assert variant["required"] == shared["required"] and variant["description"].endswith("The refused days.")
    assert "days" not in shared["properties"]
    resolver = {"components": doc["components"], "$ref": "#/components/schemas/DaysProblem"}
    day = {"date": "2026-12-25", "code": "day_full"}
    base = {"type": "https://example.org/problems/days_full", "title": "Complet", "status": 409}
    assert Draft202012Validator(resolver).is_valid({**base, "days": [day], "retry_after": 3})
    assert Draft202012Validator(resolver).is_valid(base)  # days is optional: not every 409 lists days
    assert not Draft202012Validator(resolver).is_valid({**base, "days": [{**day, "code": "mystery"}]})


def test_a_problem_model_may_neither_redefine_a_shared_member_nor_name_an_undocumented_status():
    async def odd(request):
        return web.json_response({})

    class TitleProblem(BaseModel):
        title: int

    def build(**route):
        return build_document((Route("PUT", "/api/toy/odd", odd, "Odd", "Odd", **route),), title="t")

    with pytest.raises(ValueError, match="title"):
        build(problem=TitleProblem, errors=(409,))
    with pytest.raises(ValueError, match="503"):
        build(problem=DaysProblem, errors=(409,), problem_statuses=(409, 503))
    with pytest.raises(ValueError, match="without a problem model"):
        build(errors=(409,), problem_statuses=(409,))
    with pytest.raises(ValueError, match="DaysProblem"):
        build(problem=DaysProblem, response=DaysProblem)
    assert set(build(problem=DaysProblem, errors=(409,))["components"]["schemas"]) == {
        "Problem",
        "DaysProblem",
        "DayProblem",
    }


def test_a_text_answer_or_none(doc):
    op = doc["paths"]["/api/toy/notifications/{provider}"]["post"]
    assert op["responses"]["200"] == {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}
    assert op["requestBody"]["content"] == {"application/x-www-form-urlencoded": {"schema": {"type": "string"}}}
    import_op = doc["paths"]["/api/toy/import"]["post"]
    assert import_op["responses"]["200"] == {"description": "OK"}  # no response, download or text: no body


def test_security_schemes_can_be_the_services_own():
    schemes = {
        "bearerAuth": {"type": "http", "scheme": "bearer"},
        "cookie": {"type": "apiKey", "in": "cookie", "name": "s"},
    }
    doc = build_document(TOY, title="t", security_schemes=schemes)
    assert doc["components"]["securitySchemes"] == schemes
    assert doc["paths"][ITEMS]["get"]["security"] == [{"bearerAuth": []}, {"cookie": []}]
    validate(doc)


def test_an_operation_id_is_unique_or_the_table_is_refused():
    async def list_items(request):  # same name as the module's handler
        return web.json_response({})

    twice = (*TOY, Route("GET", "/api/toy/others", list_items, "Others", "Items"))
    with pytest.raises(ValueError, match="list_items"):
        build_document(twice, title="t")
    renamed = (*TOY, Route("GET", "/api/toy/others", list_items, "Others", "Items", operation_id="list_others"))
    assert build_document(renamed, title="t")["paths"]["/api/toy/others"]["get"]["operationId"] == "list_others"


def test_a_model_named_problem_is_refused():
    class Problem(BaseModel):
        x: int

    async def odd(request):
        return web.json_response({})

    with pytest.raises(ValueError, match="Problem"):
        build_document((Route("GET", "/api/toy/odd", odd, "Odd", "Odd", response=Problem),), title="t")


def test_openapi_document_needs_an_openapi_route():
    with pytest.raises(LookupError):
        openapi_document(TOY[:-1])


def teapot_errors(handler):
    @functools.wraps(handler)
    async def wrapped(request):
        try:
            return await handler(request)
        except Teapot:
            return web.json_response({"wrapped": handler.__name__}, status=418)

    return wrapped


async def test_add_routes_registers_wraps_and_serves_the_document():
    app = web.Application()
    add_routes(app, TOY[:4], wrap=teapot_errors)
    add_routes(app, TOY[4:])  # a second call adds to the table
    assert app[ROUTES] == TOY
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        resp = await client.get(f"{ITEMS}/{uuid.uuid4()}")
        assert resp.status == 418 and await resp.json() == {"wrapped": "get_item"}
        assert (await client.post("/internal/toy", json={"name": "x"})).status == 200
        served = await client.get("/api/toy/openapi.json")
        assert served.status == 200 and served.content_type == "application/json"
        assert await served.json() == json.loads(json.dumps(openapi_document(TOY)))
        again = await client.get("/api/toy/openapi.json")
        assert await again.json() == await served.json()
    finally:
        await client.close()
