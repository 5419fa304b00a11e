"""Staff administration: roles required, dossiers, children, accounts, CSV import."""

from __future__ import annotations

import re
import uuid

from accounts.routes import all_routes

HEADER = "number;family_name;adult_last_name;adult_first_name;adult_email;adult_phone;child_first_name;child_last_name;child_birth_date;child_school;child_level"


def admin_routes():
    for route in all_routes():
        if route.path.startswith("/api/accounts/admin/"):
            yield route.method, re.sub(r"{\w+}", str(uuid.uuid4()), route.path)


async def test_staff_endpoints_refuse_anonymous_and_parents(h):
    parent = await h.active_parent(login=False)
    other_staff = h.identity(uuid.uuid4(), ("planning_staff",))
    routes = list(admin_routes())
    assert len(routes) >= 14
    for method, path in routes:
        resp, _ = await h.call(method, path, json={})
        assert resp.status == 401, (method, path)
        resp, _ = await h.call(method, path, json={}, headers=parent.headers)
        assert resp.status == 403, (method, path)
        resp, _ = await h.call(method, path, json={}, headers=other_staff)
        assert resp.status == 403, (method, path)


async def test_create_search_and_change_dossiers(h):
    number = "9" + str(uuid.uuid4().int)[:6]
    body = {
        "number": number,
        "family_name": "MARTÍN",
        "adults": [
            {"last_name": "Martin", "first_name": "Claire", "email": "claire@example.org", "phone": "0612345678"}
        ],
        "children": [
            {
                "first_name": "Léa",
                "last_name": "Martin",
                "birth_date": "2019-04-02",
                "school": "École Jules Ferry",
                "level": "CE1",
            }
        ],
    }
    _, created = await h.call("POST", "/api/accounts/admin/dossiers", json=body, headers=h.staff(), expect=201)
    assert created["number"] == number and created["family_name"] == "MARTÍN"
    assert created["children"][0]["id"] and created["adults"][0]["phone_mobile"] == "06 12 34 56 78"
    child_event = await h.last_event("accounts.child.added", child_id=created["children"][0]["id"])
    assert set(child_event["data"]) == {
        "dossier_id",
        "child_id",
        "first_name",
        "last_name",
        "birth_date",
        "school",
        "level",
    }
    await h.last_event("accounts.dossier.updated", dossier_id=created["id"])
    await h.call("POST", "/api/accounts/admin/dossiers", json=body, headers=h.staff(), expect=409)

    for q in (number, "martin", "MARTÍN"):
        _, found = await h.call("GET", "/api/accounts/admin/dossiers", params={"q": q}, headers=h.staff(), expect=200)
        assert created["id"] in [d["id"] for d in found["items"]], q
    for _ in range(3):
        await h.new_dossier(family_name="PAGINA")
    seen, cursor = [], None
    while True:
        params = {"q": "pagina", "limit": "2", **({"cursor": cursor} if cursor else {})}
        _, page = await h.call("GET", "/api/accounts/admin/dossiers", params=params, headers=h.staff(), expect=200)
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 3

    staff = h.staff()
    _, changed = await h.call(
        "PATCH",
        f"/api/accounts/admin/dossiers/{created['id']}",
        json={
            "family_name": "MARTIN-DURAND",
            "address": {"postal_code": "95380", "city": "Puiseux"},
            "adults": [{"id": created["adults"][0]["id"], "first_name": "Claire-Marie"}],
        },
        headers=staff,
        expect=200,
    )
    assert changed["family_name"] == "MARTIN-DURAND" and changed["adults"][0]["first_name"] == "Claire-Marie"
    rows = await h.pool.fetch(
        "SELECT actor_kind, entity, after FROM audit_log WHERE dossier_id = $1 AND action = 'updated'",
        uuid.UUID(created["id"]),
    )
    assert {r["entity"] for r in rows} == {"dossier", "adult"} and all(r["actor_kind"] == "staff" for r in rows)
    await h.call(
        "PATCH", f"/api/accounts/admin/dossiers/{uuid.uuid4()}", json={"family_name": "X"}, headers=staff, expect=404
    )
    await h.call(
        "PATCH", f"/api/accounts/admin/dossiers/{created['id']}", json={"family_name": None}, headers=staff, expect=422
    )

    _, child = await h.call(
        "POST",
        f"/api/accounts/admin/dossiers/{created['id']}/children",
        json={"first_name": "Hugo", "last_name": "Martin", "birth_date": "2021-09-01"},
        headers=staff,
        expect=201,
    )
    await h.last_event("accounts.child.added", child_id=child["id"])
    _, patched = await h.call(
        "PATCH", f"/api/accounts/admin/children/{child['id']}", json={"level": "PS"}, headers=staff, expect=200
    )
    assert patched["level"] == "PS"
    updated = await h.last_event("accounts.child.updated", child_id=child["id"])
    assert updated["data"]["level"] == "PS"
    await h.call(
        "PATCH",
        f"/api/accounts/admin/children/{child['id']}",
        json={"birth_date": "2999-01-01"},
        headers=staff,
        expect=422,
    )
    _, adult = await h.call(
        "POST",
        f"/api/accounts/admin/dossiers/{created['id']}/adults",
        json={"last_name": "Durand", "first_name": "Paul", "phone": "01 23 45 67 89"},
        headers=staff,
        expect=201,
    )
    assert adult["phone_home"] == "01 23 45 67 89"
    _, history = await h.call("GET", f"/api/accounts/admin/dossiers/{created['id']}/history", headers=staff, expect=200)
    assert {i["entity"] for i in history["items"]} >= {"dossier", "adult", "child"}


async def test_activation_resend_deactivation_staff_users_and_roles(h):
    _, reg = await h.call("POST", "/api/accounts/registrations", json=h.registration(without_dossier=True), expect=201)
    old = await h.activation_token(reg["user_id"])
    _, user = await h.call(
        "POST", f"/api/accounts/admin/users/{reg['user_id']}/activation-resend", headers=h.staff(), expect=200
    )
    assert user["status"] == "pending_activation"
    resent = await h.last_event("accounts.user.activation_resent", user_id=reg["user_id"])
    assert set(resent["data"]) == {
        "user_id",
        "username",
        "email",
        "first_name",
        "last_name",
        "dossier_number",
        "activation_token",
        "expires_at",
    }
    await h.call("POST", "/api/accounts/activations", json={"token": old}, expect=404)
    await h.call("POST", "/api/accounts/activations", json={"token": resent["data"]["activation_token"]}, expect=200)
    await h.call("POST", f"/api/accounts/admin/users/{reg['user_id']}/activation-resend", headers=h.staff(), expect=409)

    parent = await h.active_parent()
    _, user = await h.call(
        "POST", f"/api/accounts/admin/users/{parent.user_id}/deactivate", headers=h.staff(), expect=200
    )
    assert user["status"] == "disabled"
    await h.call("POST", "/internal/sessions/resolve", json={"token": parent.token}, expect=401)
    assert (await h.last_event("accounts.user.deactivated", user_id=parent.user_id))["data"] == {
        "user_id": parent.user_id
    }

    username = h.unique("agent")
    body = {
        "username": username,
        "email": f"{username}@mairie.example.org",
        "last_name": "Agent",
        "first_name": "Nouvel",
        "roles": ["planning_staff"],
    }
    _, problem = await h.call(
        "POST", "/api/accounts/admin/staff-users", json={**body, "roles": ["admin"]}, headers=h.staff(), expect=403
    )
    assert problem["type"].endswith("/admin_role_reserved")
    _, staff_user = await h.call("POST", "/api/accounts/admin/staff-users", json=body, headers=h.staff(), expect=201)
    assert staff_user["roles"] == ["planning_staff"] and staff_user["status"] == "pending_activation"
    event = await h.last_event("accounts.user.registered", user_id=staff_user["id"])
    assert event["data"]["dossier_number"] is None
    token = event["data"]["activation_token"]
    _, problem = await h.call("POST", "/api/accounts/activations", json={"token": token}, expect=422)
    assert problem["errors"][0]["field"] == "password"
    await h.call("POST", "/api/accounts/activations", json={"token": token, "password": "court"}, expect=422)
    await h.call(
        "POST",
        "/api/accounts/activations",
        json={"token": token, "password": "mon secret d'agent municipal"},
        expect=200,
    )
    _, session = await h.call(
        "POST",
        "/api/accounts/sessions",
        json={"username": username, "password": "mon secret d'agent municipal"},
        client=h.ip(),
        expect=200,
    )
    _, who = await h.call("POST", "/internal/sessions/resolve", json={"token": session["token"]}, expect=200)
    assert who["roles"] == ["planning_staff"] and who["dossier_id"] is None

    url = f"/api/accounts/admin/users/{staff_user['id']}/roles"
    _, changed = await h.call(
        "PUT", url, json={"roles": ["planning_staff", "billing_staff"]}, headers=h.staff(), expect=200
    )
    assert changed["roles"] == ["billing_staff", "planning_staff"]
    await h.call("PUT", url, json={"roles": ["admin"]}, headers=h.staff(), expect=403)
    await h.call("PUT", url, json={"roles": ["admin"]}, headers=h.staff("admin"), expect=200)
    await h.call(
        "PUT", url, json={"roles": []}, headers=h.staff(), expect=403
    )  # an admin's roles are an admin's business
    await h.call("PUT", url, json={"roles": ["superuser"]}, headers=h.staff("admin"), expect=422)
    me = h.identity(staff_user["id"], ("admin",))
    await h.call("PUT", url, json={"roles": ["planning_staff"]}, headers=me, expect=403)  # never one's own
    rows = await h.pool.fetch(
        "SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id", uuid.UUID(staff_user["id"])
    )
    assert [r["action"] for r in rows] == ["staff_created", "activated", "roles_changed", "roles_changed"]


def csv_file(*rows: str, bom: bool = False) -> bytes:
    text = "\n".join((HEADER, *rows)) + "\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")


async def post_csv(h, data: bytes, *, dry_run=False, content_type="text/csv; charset=utf-8", expect=None):
    resp = await h.client.post(
        "/api/accounts/admin/dossiers/import" + ("?dry_run=true" if dry_run else ""),
        data=data,
        headers={**h.staff(), "Content-Type": content_type},
    )
    body = await resp.json(content_type=None)
    if expect is not None:
        assert resp.status == expect, body
    return resp, body


async def test_csv_import_all_or_nothing(h):
    n1, n2 = "C" + h.unique()[:9].upper(), "C" + h.unique()[:9].upper()
    good = csv_file(
        f"{n1};DUBOIS;Dubois;Marie;marie@example.org;06 01 02 03 04;Lucas;Dubois;2017-03-04;École Jules Ferry;CE2",
        f"{n1};Dubois;Dubois;Marie;;;Emma;Dubois;12/09/2019;École Jules Ferry;GS",
        f"{n2};LEROY;Leroy;Jean;;01 02 03 04 05;;;;;",
        bom=True,
    )
    before = await h.counts()
    _, dry = await post_csv(h, good, dry_run=True, expect=200)
    assert dry == {"dry_run": True, "rows": 3, "dossiers": 2, "adults": 2, "children": 2}
    assert await h.counts() == before
    _, done = await post_csv(h, good, expect=200)
    assert done == {**dry, "dry_run": False}
    after = await h.counts()
    assert after["dossiers"] == before["dossiers"] + 2 and after["children"] == before["children"] + 2
    dossier_id = await h.pool.fetchval("SELECT id FROM dossiers WHERE number = $1", n1)
    assert await h.count("children", "dossier_id = $1", dossier_id) == 2
    assert len(await h.events("accounts.child.added", dossier_id=str(dossier_id))) == 2
    # the same file again: those dossiers exist, nothing imported
    _, again = await post_csv(h, good, expect=422)
    assert {r["line"] for r in again["report"]} == {2, 4}

    n3, n4 = "C" + h.unique()[:9].upper(), "C" + h.unique()[:9].upper()
    bad = csv_file(
        f"{n3};BLANC;Blanc;Anne;anne@example.org;06 01 02 03 04;Tom;Blanc;2018-01-01;;",
        f"{n4};NOIR;Noir;Luc;pas-une-adresse;;Lou;Noir;2018-01-01;;",
        f"{n3};BLANC;Blanc;Anne;;;Zoé;Blanc;2030-01-01;;",
        f"{n3};BLANC;Blanc",
    )
    before = await h.counts()
    _, problem = await post_csv(h, bad, expect=422)
    assert problem["type"].endswith("/import_rejected")
    assert [r["line"] for r in problem["report"]] == [3, 4, 5]
    assert "e-mail" in problem["report"][0]["reason"]
    assert await h.counts() == before
    _, problem = await post_csv(h, b"number;nom\n1;2\n", expect=422)
    assert problem["report"][0]["line"] == 1
    _, problem = await post_csv(h, "é".encode("latin-1") + csv_file(f"{n4};NOIR;Noir;Luc;;;;;;;"), expect=422)
    assert "UTF-8" in problem["report"][0]["reason"]
    await post_csv(h, good, content_type="application/json", expect=415)
    assert await h.counts() == before
