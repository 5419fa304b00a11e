"""« Mon dossier »: view, change with audit, history, and one family never reaching another's."""

from __future__ import annotations

import base64
import uuid

DOSSIER = "/api/accounts/dossier"


async def test_me_and_my_dossier(h):
    parent = await h.active_parent()
    _, me = await h.call("GET", "/api/accounts/me", headers=parent.headers, expect=200)
    assert me["user"]["username"] == parent.username and me["roles"] == []
    assert me["dossier"] == {
        "id": parent.dossier_id,
        "number": parent.dossier["number"],
        "family_name": "MARTIN",
        "children_count": 1,
    }
    assert me["subscriptions"] == [
        {"service": "enfance", "dossier_number": parent.dossier["number"], "status": "active"}
    ]
    _, dossier = await h.call("GET", DOSSIER, headers=parent.headers, expect=200)
    assert set(dossier) == {
        "id",
        "number",
        "family_name",
        "address",
        "invoices_by_email",
        "adults",
        "children",
        "subscriptions",
    }
    assert dossier["address"]["city"] == "Puiseux-en-France"
    assert set(dossier["adults"][0]) == {
        "id",
        "last_name",
        "first_name",
        "email",
        "phone_mobile",
        "phone_home",
        "phone_work",
    }
    assert set(dossier["children"][0]) == {"id", "first_name", "last_name", "birth_date", "school", "level"}
    await h.call("GET", DOSSIER, expect=401)
    without = await h.active_parent(with_dossier=False, login=False)
    _, problem = await h.call("GET", DOSSIER, headers=without.headers, expect=403)
    assert problem["type"].endswith("/no_dossier")


async def test_patch_normalises_phones_audits_only_what_changed_and_reports_it(h):
    parent = await h.active_parent()
    _, dossier = await h.call("GET", DOSSIER, headers=parent.headers, expect=200)
    adult = dossier["adults"][0]
    audit_before = await h.count("audit_log", "dossier_id = $1", uuid.UUID(parent.dossier_id))
    change = {
        "adults": [
            {
                "id": adult["id"],
                "phone_mobile": "+33 7 11 22 33 44",
                "phone_home": "01.23.45.67.89",
                "email": adult["email"],
            }
        ],
        "invoices_by_email": True,
    }
    _, after = await h.call("PATCH", DOSSIER, json=change, headers=parent.headers, expect=200)
    assert after["adults"][0]["phone_mobile"] == "07 11 22 33 44"
    assert after["adults"][0]["phone_home"] == "01 23 45 67 89"
    assert after["invoices_by_email"] is True
    rows = await h.pool.fetch(
        "SELECT actor_id, actor_kind, entity, entity_id, before, after FROM audit_log WHERE dossier_id = $1 ORDER BY id",
        uuid.UUID(parent.dossier_id),
    )
    new_rows = rows[audit_before:]
    by_entity = {r["entity"]: r for r in new_rows}
    assert set(by_entity) == {"adult", "dossier"}
    assert by_entity["adult"]["after"] == {"phone_mobile": "07 11 22 33 44", "phone_home": "01 23 45 67 89"}
    assert by_entity["adult"]["before"] == {"phone_mobile": adult["phone_mobile"], "phone_home": None}
    assert by_entity["dossier"]["after"] == {"invoices_by_email": True}
    assert all(r["actor_kind"] == "parent" and str(r["actor_id"]) == parent.user_id for r in new_rows)
    event = await h.last_event("accounts.dossier.updated", dossier_id=parent.dossier_id)
    assert set(event["data"]) == {"dossier_id", "number", "family_name", "invoices_by_email", "address", "adults"}
    assert set(event["data"]["address"]) == {"line1", "line2", "postal_code", "city"}
    assert set(event["data"]["adults"][0]) == {
        "id",
        "first_name",
        "last_name",
        "email",
        "phone_mobile",
        "phone_home",
        "phone_work",
    }
    assert event["data"]["adults"][0]["phone_mobile"] == "07 11 22 33 44"

    # the same values again change nothing and write nothing
    before = await h.counts()
    await h.call("PATCH", DOSSIER, json=change, headers=parent.headers, expect=200)
    assert await h.counts() == before

    _, history = await h.call("GET", DOSSIER + "/history", headers=parent.headers, params={"limit": "1"}, expect=200)
    assert len(history["items"]) == 1 and history["next_cursor"]
    _, page2 = await h.call(
        "GET",
        DOSSIER + "/history",
        headers=parent.headers,
        params={"limit": "1", "cursor": history["next_cursor"]},
        expect=200,
    )
    assert page2["items"][0]["at"] <= history["items"][0]["at"]
    await h.call("GET", DOSSIER + "/history", headers=parent.headers, params={"cursor": "%%%"}, expect=422)
    # a cursor is signed: an edited one (here: another position) is refused, not followed
    body, _, signature = history["next_cursor"].partition(".")
    forged = base64.urlsafe_b64encode(b"[1]").decode().rstrip("=") + "." + signature
    _, problem = await h.call(
        "GET", DOSSIER + "/history", headers=parent.headers, params={"cursor": forged}, expect=422
    )
    assert problem["errors"][0]["field"] == "cursor"
    await h.call("GET", DOSSIER + "/history", headers=parent.headers, params={"limit": "0"}, expect=422)


async def test_patch_refuses_other_fields_and_bad_values_without_writing(h):
    parent = await h.active_parent()
    _, dossier = await h.call("GET", DOSSIER, headers=parent.headers, expect=200)
    adult_id = dossier["adults"][0]["id"]
    before = await h.counts()
    for change in (
        {"adults": [{"id": adult_id, "last_name": "Autre"}]},
        {"family_name": "AUTRE"},
        {"adults": [{"id": adult_id, "phone_mobile": "12345"}]},
        {"adults": [{"id": adult_id, "email": "pas une adresse"}]},
        {"invoices_by_email": "yes"},
        {
            "adults": [
                {"id": adult_id, "phone_home": "01 02 03 04 05"},
                {"id": adult_id, "phone_home": "01 02 03 04 06"},
            ]
        },
    ):
        resp, problem = await h.call("PATCH", DOSSIER, json=change, headers=parent.headers)
        assert resp.status == 422, (change, problem)
        assert problem["errors"]
    assert await h.counts() == before


async def test_two_families_never_reach_each_other(h):
    a = await h.active_parent()
    b = await h.active_parent()
    _, b_dossier = await h.call("GET", DOSSIER, headers=b.headers, expect=200)
    b_adult, b_child = b_dossier["adults"][0]["id"], b_dossier["children"][0]["id"]
    _, a_dossier = await h.call("GET", DOSSIER, headers=a.headers, expect=200)
    a_adult = a_dossier["adults"][0]["id"]

    await h.call("GET", f"/api/accounts/dossiers/{a.dossier_id}", headers=a.headers, expect=200)
    await h.call("GET", f"/api/accounts/children/{a_dossier['children'][0]['id']}", headers=a.headers, expect=200)
    for path in (
        f"/api/accounts/dossiers/{b.dossier_id}",
        f"/api/accounts/children/{b_child}",
        f"/api/accounts/dossiers/{uuid.uuid4()}",
        f"/api/accounts/children/{uuid.uuid4()}",
    ):
        _, problem = await h.call("GET", path, headers=a.headers, expect=404)
        assert problem["type"].endswith("/not_found")

    before = await h.counts()
    # B's adult smuggled into A's own PATCH, alone or beside A's own adult: 404, nothing written
    for adults in (
        [{"id": b_adult, "phone_mobile": "06 66 66 66 66"}],
        [{"id": a_adult, "phone_mobile": "06 55 55 55 55"}, {"id": b_adult, "email": "pirate@example.org"}],
    ):
        await h.call("PATCH", DOSSIER, json={"adults": adults}, headers=a.headers, expect=404)
    assert await h.counts() == before
    _, b_again = await h.call("GET", DOSSIER, headers=b.headers, expect=200)
    assert b_again == b_dossier
    _, a_again = await h.call("GET", DOSSIER, headers=a.headers, expect=200)
    assert a_again == a_dossier

    # staff endpoints are not a way around it
    for method, path in (
        ("GET", f"/api/accounts/admin/dossiers/{b.dossier_id}"),
        ("PATCH", f"/api/accounts/admin/children/{b_child}"),
        ("POST", f"/api/accounts/admin/dossiers/{b.dossier_id}/children"),
    ):
        await h.call(method, path, json={}, headers=a.headers, expect=403)
