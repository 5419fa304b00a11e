"""The CSV import creates dossiers through the same code as the staff API: an imported
dossier and one typed in by hand cannot be told apart (issue 7)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from accounts.domain.csv_import import COLUMNS

ADULTS = [("Dubois", "Marie", "marie@example.org", "06 01 02 03 04"), ("Dubois", "Paul", None, "01 02 03 04 05")]
CHILDREN = [("Lucas", "Dubois", "2017-03-04", "École Jules Ferry", "CE2"), ("Emma", "Dubois", "2019-09-12", None, "GS")]
TIMESTAMPS = {"created_at", "updated_at", "at", "id_at"}


async def made_by_hand(h, number: str) -> uuid.UUID:
    body = {
        "number": number,
        "family_name": "DUBOIS",
        "adults": [{"last_name": a[0], "first_name": a[1], "email": a[2], "phone": a[3]} for a in ADULTS],
        "children": [
            {"first_name": c[0], "last_name": c[1], "birth_date": c[2], "school": c[3], "level": c[4]} for c in CHILDREN
        ],
    }
    _, dossier = await h.call("POST", "/api/accounts/admin/dossiers", json=body, headers=h.staff(), expect=201)
    return uuid.UUID(dossier["id"])


async def imported(h, number: str) -> uuid.UUID:
    # One row per child, each with one of the adults (the town's file layout).
    rows = [
        ";".join([number, "DUBOIS", a[0], a[1], a[2] or "", a[3], c[0], c[1], c[2], c[3] or "", c[4]])
        for a, c in zip(ADULTS, CHILDREN, strict=True)
    ]
    data = "\n".join([";".join(COLUMNS), *rows]).encode()
    resp = await h.client.post(
        "/api/accounts/admin/dossiers/import", data=data, headers={**h.staff(), "Content-Type": "text/csv"}
    )
    assert resp.status == 200, await resp.text()
    return await h.pool.fetchval("SELECT id FROM dossiers WHERE number = $1", number)


def scrub(value, names: dict[str, str]):
    """Ids and the number replaced by their role, timestamps dropped: what must be equal."""
    if isinstance(value, dict):
        return {k: scrub(v, names) for k, v in value.items() if k not in TIMESTAMPS}
    if isinstance(value, list):
        return [scrub(v, names) for v in value]
    if isinstance(value, uuid.UUID):
        value = str(value)
    if isinstance(value, date | datetime):
        value = value.isoformat()
    return names.get(value, value) if isinstance(value, str) else value


async def everything_about(h, dossier_id: uuid.UUID) -> dict:
    _, view = await h.call("GET", f"/api/accounts/admin/dossiers/{dossier_id}", headers=h.staff(), expect=200)
    names = {view["id"]: "<dossier>", view["number"]: "<number>"}
    names |= {a["id"]: f"<adult {i}>" for i, a in enumerate(view["adults"])}
    names |= {c["id"]: f"<child {i}>" for i, c in enumerate(view["children"])}
    rows = {
        "dossier": dict(await h.pool.fetchrow("SELECT * FROM dossiers WHERE id = $1", dossier_id)),
        "adults": [
            dict(r)
            for r in await h.pool.fetch("SELECT * FROM adults WHERE dossier_id = $1 ORDER BY position", dossier_id)
        ],
        "children": [
            dict(r)
            for r in await h.pool.fetch("SELECT * FROM children WHERE dossier_id = $1 ORDER BY birth_date", dossier_id)
        ],
    }
    audit = [
        dict(r)
        for r in await h.pool.fetch(
            "SELECT actor_id, actor_kind, entity, entity_id, action, before, after FROM audit_log"
            " WHERE dossier_id = $1 ORDER BY id",
            dossier_id,
        )
    ]
    outbox = await h.pool.fetch("SELECT envelope FROM outbox ORDER BY id")
    events = [
        {k: e[k] for k in ("type", "version", "source", "data")}
        for e in (r["envelope"] for r in outbox)
        if e["data"].get("dossier_id") == str(dossier_id)
    ]
    return scrub({"view": view, "rows": rows, "audit": audit, "events": events}, names)


async def test_an_imported_dossier_is_indistinguishable_from_one_made_by_hand(h):
    by_hand = await made_by_hand(h, "H" + h.unique()[:9].upper())
    from_csv = await imported(h, "I" + h.unique()[:9].upper())
    hand, csv = await everything_about(h, by_hand), await everything_about(h, from_csv)
    assert csv == hand
    # and it is all there: the dossier and each child audited, each one reported
    assert [(a["entity"], a["action"]) for a in csv["audit"]] == [
        ("dossier", "created"),
        ("child", "created"),
        ("child", "created"),
    ]
    assert [e["type"] for e in csv["events"]] == [
        "accounts.dossier.updated",
        "accounts.child.added",
        "accounts.child.added",
    ]
    assert [a["phone_mobile"] for a in csv["rows"]["adults"]] == ["06 01 02 03 04", None]
    assert csv["audit"][0]["actor_id"] == str(h.staff_id)
