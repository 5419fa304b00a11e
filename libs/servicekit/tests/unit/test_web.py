"""The shared web shell: problems, request ids, probes, identity checks (in-process HTTP)."""

from __future__ import annotations

import uuid

import pytest
from aiohttp import web
from pydantic import BaseModel, Field
from servicekit.identity import IDENTITY_HEADER, Identity, identity_middleware, require_dossier, sign_identity
from servicekit.problems import Problem
from servicekit.testing import http_client
from servicekit.web import READY_CHECKS, create_base_app, read_model

SECRET = "k" * 40


class Child(BaseModel):
    first_name: str = Field(min_length=1, max_length=50)


async def boom(request):
    raise RuntimeError("secret internals")


async def create_child(request):
    child = await read_model(request, Child)
    return web.json_response({"first_name": child.first_name}, status=201)


async def my_dossier(request):
    wanted = uuid.UUID(request.match_info["dossier_id"])
    return web.json_response({"dossier_id": str(require_dossier(request, wanted))})


async def failing_check(app):
    raise ConnectionError("down")


@pytest.fixture
async def client():
    app = create_base_app("demo", middlewares=[identity_middleware(SECRET)])
    app.router.add_get("/boom", boom)
    app.router.add_post("/children", create_child)
    app.router.add_get("/dossiers/{dossier_id}", my_dossier)
    async with http_client(app) as client:
        yield client


async def test_unhandled_error_is_a_problem_without_internals(client):
    resp = await client.get("/boom")
    assert resp.status == 500
    assert resp.content_type == "application/problem+json"
    body = await resp.text()
    assert "secret internals" not in body and "Traceback" not in body
    doc = await resp.json(content_type=None)
    assert doc["request_id"] == resp.headers["X-Request-ID"]


async def test_validation_errors_are_per_field_and_bad_json_is_400(client):
    resp = await client.post("/children", json={"first_name": ""})
    assert resp.status == 422
    doc = await resp.json(content_type=None)
    assert doc["errors"][0]["field"] == "first_name"
    resp = await client.post("/children", data=b"{nope", headers={"Content-Type": "application/json"})
    assert resp.status == 400
    resp = await client.post("/children", data=b"first_name=x", headers={"Content-Type": "text/plain"})
    assert resp.status == 415


async def test_request_id_is_kept_when_sane_and_replaced_when_not(client):
    resp = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert resp.headers["X-Request-ID"] == "abc-123"
    resp = await client.get("/health", headers={"X-Request-ID": "<script>" * 20})
    assert resp.headers["X-Request-ID"] != "<script>" * 20


async def test_ready_reports_failing_checks(client):
    assert (await client.get("/ready")).status == 200
    client.server.app[READY_CHECKS].append(failing_check)
    resp = await client.get("/ready")
    assert resp.status == 503
    assert (await resp.json())["failures"] == {"failing_check": "ConnectionError"}


async def test_metrics_count_requests_by_route_template(client):
    await client.get(f"/dossiers/{uuid.uuid4()}")
    text = await (await client.get("/metrics")).text()
    assert 'route="/dossiers/{dossier_id}"' in text


async def test_ownership_answers_404_for_another_family(client):
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    token = sign_identity(Identity(uuid.uuid4(), dossier_id=mine), SECRET)
    ok = await client.get(f"/dossiers/{mine}", headers={IDENTITY_HEADER: token})
    assert ok.status == 200
    other = await client.get(f"/dossiers/{theirs}", headers={IDENTITY_HEADER: token})
    assert other.status == 404
    anonymous = await client.get(f"/dossiers/{mine}")
    assert anonymous.status == 401
    forged = await client.get(f"/dossiers/{mine}", headers={IDENTITY_HEADER: token + "x"})
    assert forged.status == 401


def test_problem_defaults_to_french_titles():
    p = Problem(429)
    assert p.to_dict()["title"].startswith("Trop de tentatives")
    assert p.to_dict()["type"].endswith("/too_many_requests")
