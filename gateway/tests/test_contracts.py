"""The fake services serve only routes the real services have (see ``contracts``)."""

from __future__ import annotations

import uuid

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from servicekit.identity import IDENTITY_HEADER, Identity, sign_identity

from .contracts import VIOLATIONS, checked, document, fake_routes, operations, route_table
from .fake_accounts import fake_accounts
from .fake_billing import fake_billing
from .fake_messaging import PNG, fake_messaging
from .fake_planning import STATE as PLANNING_STATE
from .fake_planning import fake_planning
from .standins import IDENTITY_SECRET

FAKES = {"accounts": fake_accounts, "messaging": fake_messaging, "planning": fake_planning, "billing": fake_billing}


@pytest.mark.parametrize("service", FAKES)
def test_every_route_a_fake_serves_is_a_route_of_the_real_service(service):
    served = fake_routes(FAKES[service]())
    assert served
    unknown = [route for route in served if route not in operations(service)]
    assert not unknown, f"routes the real {service} does not have: {unknown}"


@pytest.mark.parametrize("service", ["accounts", "billing"])
def test_internal_routes_are_checked_against_the_route_table_since_the_document_leaves_them_out(service):
    internal = {(r.method, r.path) for r in route_table(service) if r.path.startswith("/internal/")}
    assert internal and not any(path.startswith("/internal/") for path in document(service)["paths"])
    assert internal <= set(operations(service))


def test_an_internal_path_parameter_is_checked_only_when_the_route_declares_it():
    # billing declares its operations' idop (a string); accounts' internal tokens are left out
    (idop,) = operations("billing")[("GET", "/internal/simulated-treasury/operations/{idop}")].spec["parameters"]
    assert idop["name"] == "idop" and idop["schema"] == {"type": "string"}
    for op in operations("accounts").values():
        if op.path.startswith("/internal/"):
            assert all(p["in"] != "path" for p in op.spec["parameters"]), op.path


async def client_of(app: web.Application) -> TestClient:
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


def as_form(fields: dict[str, str]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field("attachment", PNG, filename="photo.png", content_type="image/png")
    return form


@pytest.mark.parametrize("multipart", [False, True], ids=["json", "multipart"])
async def test_a_request_member_the_service_does_not_know_is_reported(multipart):
    client = await client_of(fake_messaging())
    identity = sign_identity(Identity(uuid.uuid4(), frozenset({"parent"})), IDENTITY_SECRET)
    fields = {"theme_id": str(uuid.uuid4()), "subject": "Cantine", "body": "Bonjour", "urgent": "oui"}
    sent = {"data": as_form(fields)} if multipart else {"json": fields}
    try:
        resp = await client.post("/api/messaging/threads", headers={IDENTITY_HEADER: identity}, **sent)
        assert resp.status == 422  # an unknown theme: a refusal, but the extra member is still wrong
    finally:
        await client.close()
    # Taken out of VIOLATIONS, which conftest would otherwise fail this test on.
    found, VIOLATIONS[:] = list(VIOLATIONS), []
    assert len(found) == 1 and "POST /api/messaging/threads: request: body" in found[0] and "'urgent'" in found[0]


async def test_an_answer_the_service_would_not_give_is_reported():
    async def notifications(request: web.Request) -> web.Response:
        if "teapot" in request.query:
            return web.json_response({"unread_replies": 1}, status=418)
        return web.json_response({"unread": "1"})

    app = checked(web.Application(), "messaging")
    app.router.add_get("/api/messaging/notifications", notifications)
    client = await client_of(app)
    try:
        await client.get("/api/messaging/notifications")
        await client.get("/api/messaging/notifications", params={"teapot": ""})
    finally:
        await client.close()
    found, VIOLATIONS[:] = "\n".join(VIOLATIONS), []
    assert "answer 200: body (root): 'unread_replies' is a required property" in found
    assert "answer 200: body (root): Additional properties are not allowed ('unread' was unexpected)" in found
    assert "query parameter 'teapot' is not declared" in found
    assert "answer 418: status 418 is not documented" in found


def taken() -> str:
    """The violations seen so far, taken out of VIOLATIONS (which conftest would fail the test on)."""
    found, VIOLATIONS[:] = "\n".join(VIOLATIONS), []
    return found


async def test_planning_problems_are_held_to_the_days_their_route_documents():
    months = "/api/planning/children/{child_id}/months/{month}"
    day = {"date": "2026-12-10", "activity_id": str(uuid.uuid4()), "code": "day_full", "message": "Complet."}

    async def change_month(request: web.Request) -> web.Response:
        status, code = (409, "mystery") if request.match_info["month"] == "2026-12" else (422, "mystery")
        doc = {"type": "about:blank", "title": "Non", "status": status, "days": [{**day, "code": code}]}
        return web.json_response(doc, status=status, content_type="application/problem+json")

    async def month(request: web.Request) -> web.Response:
        return web.json_response({})

    app = checked(web.Application(), "planning")
    app.router.add_put(months, change_month)
    app.router.add_get(months, month)
    client = await client_of(app)
    child = uuid.uuid4()
    try:
        await client.put(f"/api/planning/children/{child}/months/2026-12", json={"activities": []})
        await client.put(f"/api/planning/children/{child}/months/2027-01", json={"activities": []})
        await client.get(f"/api/planning/children/{child}/months/2026-13")
    finally:
        await client.close()
    found = taken()
    # 409 (basket_frozen) lists no days; 422 (rules_violated) does, with planning's codes only
    assert "PUT /api/planning/children/{child_id}/months/{month}: answer 409: body (root): Additional" in found
    assert "answer 422: body days/0/code: 'mystery' is not one of" in found
    assert "request accepted with 200: path 'month': (root): '2026-13' does not match" in found


async def test_a_text_answer_and_an_enum_path_parameter_are_checked():
    async def notification(request: web.Request) -> web.Response:
        if request.match_info["provider"] == "payfip":
            return web.json_response({"ok": True})
        return web.Response(text="OK")

    app = checked(web.Application(), "billing")
    app.router.add_post("/api/billing/payments/notifications/{provider}", notification)
    client = await client_of(app)
    try:
        for provider in ("simulated", "payfip", "paypal"):
            await client.post(f"/api/billing/payments/notifications/{provider}", data={"idop": "abc"})
    finally:
        await client.close()
    found = taken().splitlines()
    assert len(found) == 2, found
    assert "notifications/{provider}: answer 200: media type 'application/json' is not the documented" in found[0]
    assert "accepted with 200: path 'provider': (root): 'paypal' is not one of ['simulated', 'payfip']" in found[1]


async def test_the_fake_planning_refuses_days_with_planning_s_codes():
    app = fake_planning()
    town = app[PLANNING_STATE]
    dossier = uuid.uuid4()
    child = town.add_child(str(dossier))
    cantine = town.activity("Cantine").id
    town.fill(cantine, "2026-12-10")
    client = await client_of(app)
    parent = {IDENTITY_HEADER: sign_identity(Identity(uuid.uuid4(), frozenset({"parent"}), dossier), IDENTITY_SECRET)}
    no_dossier = {IDENTITY_HEADER: sign_identity(Identity(uuid.uuid4(), frozenset({"parent"})), IDENTITY_SECRET)}
    month = f"/api/planning/children/{child.id}/months/2026-12"
    wanted = ["2026-12-03", "2026-12-09", "2026-12-10", "2026-12-25", "2027-01-05"]
    try:
        wanting = {"activities": [{"activity_id": cantine, "booked_dates": wanted}]}
        refused = await client.put(month, json=wanting, headers=parent)
        body = await refused.json()
        town.children[child.id].activity_ids.remove(cantine)
        nothing = {"activities": [{"activity_id": cantine, "booked_dates": []}]}
        not_enrolled = await client.put(month, json=nothing, headers=parent)
        not_enrolled_body = await not_enrolled.json()
        without_dossier = await client.get("/api/planning/children", headers=no_dossier)
    finally:
        await client.close()
    assert refused.status == 422 and [(d["date"], d["code"]) for d in body["days"]] == [
        ("2026-12-03", "deadline_passed"),
        ("2026-12-09", "activity_not_running"),
        ("2026-12-10", "day_full"),
        ("2026-12-25", "activity_not_running"),
        ("2027-01-05", "date_outside_month"),
    ]
    assert not_enrolled.status == 422 and not_enrolled_body["title"] and "days" not in not_enrolled_body
    assert without_dossier.status == 403
    assert not taken()
