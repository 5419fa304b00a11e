"""A closure added after families booked (docs/planning.md « Closures »), on the real
PostgreSQL and RabbitMQ: paid days cancelled and their places freed in one transaction,
``planning.reservation.cancelled`` (``reason: closure``) per day for billing's credit, one
``planning.closure.days_cancelled`` per family for its e-mail, a basket being paid never
confirmed on the closed day, and the same closure posted twice changing nothing more."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

ADMIN = "/api/planning/admin"


async def post_closure(harness, body: dict):
    r = await harness.client.post(ADMIN + "/closures", json=body, headers=harness.staff)
    return r.status, await r.json()


async def reservation_states(harness, family) -> dict[str, str]:
    rows = await harness.db.fetch("SELECT day, status FROM reservations WHERE child_id = $1", family.child_id)
    return {r["day"].isoformat(): r["status"] for r in rows}


async def test_a_closure_cancels_the_paid_days_frees_the_places_and_only_once(harness):
    paid, other, paying = [await harness.make_family() for _ in range(3)]
    await harness.book_and_pay(paid, {"cantine": ["2026-12-07", "2026-12-08"], "alsh": ["2026-12-09"]})
    await harness.book_and_pay(other, {"cantine": ["2026-12-08"]})
    assert (await harness.put_month(paying, {"cantine": ["2026-12-08", "2026-12-10"]})).status == 200
    pending = await (await harness.checkout(paying)).json()
    assert pending["status"] == "payment_pending"
    assert tuple(await harness.places("cantine", "2026-12-08"))[1:] == (2, 1)

    closure = {"activity_id": str(harness.activities["cantine"]), "from": "2026-12-08", "to": "2026-12-08",
               "label": "Grève du personnel de restauration"}  # fmt: skip
    status, answer = await post_closure(harness, closure)
    assert status == 201, answer
    assert (answer["cancelled_reservations"], answer["withdrawn_basket_lines"], answer["families_notified"]) == (
        2,
        1,
        3,
    )
    assert await reservation_states(harness, paid) == {
        "2026-12-07": "confirmed", "2026-12-08": "cancelled", "2026-12-09": "confirmed",
    }  # fmt: skip
    assert await reservation_states(harness, other) == {"2026-12-08": "cancelled"}
    assert tuple(await harness.places("cantine", "2026-12-08"))[1:] == (0, 0)  # confirmed and held places freed

    cancelled = await harness.wait_published("planning.reservation.cancelled", 2, date="2026-12-08")
    assert {c["dossier_id"] for c in cancelled} == {str(paid.dossier_id), str(other.dossier_id)}
    assert all(c["reason"] == "closure" and c["payment_id"] for c in cancelled)
    notices = await harness.wait_published("planning.closure.days_cancelled", 3, closure_id=answer["id"])
    by_family = {n["dossier_id"]: n for n in notices}
    assert by_family[str(paid.dossier_id)]["days"] == [
        {"child_id": str(paid.child_id), "activity_id": str(harness.activities["cantine"]), "date": "2026-12-08"}
    ]
    assert by_family[str(paying.dossier_id)]["label"] == "Grève du personnel de restauration"
    grid = await harness.grid(paid)
    assert grid["cantine"]["2026-12-08"]["state"] == "closed" and not grid["cantine"]["2026-12-08"]["booked"]

    # The same closure again: 200, the same closure, nothing cancelled, credited or told twice.
    status, again = await post_closure(harness, closure)
    assert status == 200 and again["id"] == answer["id"]
    assert (again["cancelled_reservations"], again["withdrawn_basket_lines"], again["families_notified"]) == (0, 0, 0)
    await asyncio.sleep(0.5)
    assert len(harness.published("planning.reservation.cancelled", date="2026-12-08")) == 2
    assert len(harness.published("planning.closure.days_cancelled", closure_id=answer["id"])) == 3
    assert await harness.count("closures", "label = $1", closure["label"]) == 1

    # The family that was paying: its payment comes, the closed day is not confirmed (billing
    # credits its share), the other day is.
    params = harness.billing.call_for(pending["basket_id"])
    await harness.billing.succeed(params, harness.billing.payments[params["checkout_id"]])
    (confirmed,) = await harness.wait_published("planning.reservations.confirmed", basket_id=pending["basket_id"])
    assert [r["date"] for r in confirmed["reservations"]] == ["2026-12-10"]
    assert await reservation_states(harness, paying) == {"2026-12-10": "confirmed"}
    assert tuple(await harness.places("cantine", "2026-12-08"))[1:] == (0, 0)


async def test_a_payment_is_never_confirmed_on_a_day_closed_behind_its_back(harness):
    """The closure's own transaction withdraws the line; should « Valider » have raced it, the
    confirmation still finds the closure and leaves the day out."""
    family = await harness.make_family()
    assert (await harness.put_month(family, {"cantine": ["2026-12-14", "2026-12-15"]})).status == 200
    pending = await (await harness.checkout(family)).json()
    await harness.db.execute(  # recorded without applying it: what a race would leave behind
        "INSERT INTO closures (activity_id, starts_on, ends_on, label) VALUES (NULL, $1, $1, 'Inondation')",
        date(2026, 12, 15),
    )
    params = harness.billing.call_for(pending["basket_id"])
    await harness.billing.succeed(params, harness.billing.payments[params["checkout_id"]])
    (confirmed,) = await harness.wait_published("planning.reservations.confirmed", basket_id=pending["basket_id"])
    assert [r["date"] for r in confirmed["reservations"]] == ["2026-12-14"]
    assert tuple(await harness.places("cantine", "2026-12-15"))[1:] == (0, 0)


async def test_bad_or_unknown_closures_change_nothing(harness):
    before = await harness.count("closures")
    for body in ({"from": "2026-12-09", "to": "2026-12-08", "label": "x"}, {"from": "2026-12-08", "label": "x"}):
        status, problem = await post_closure(harness, body)
        assert status == 422 and problem["title"]
    status, _ = await post_closure(harness, {"activity_id": str(uuid.uuid4()), "from": "2026-12-08",
                                             "to": "2026-12-08", "label": "x"})  # fmt: skip
    assert status == 404
    assert await harness.count("closures") == before


async def test_a_closure_entered_by_mistake_is_removed_and_its_days_open_again(harness):
    family = await harness.make_family()
    await harness.book_and_pay(family, {"cantine": ["2026-12-17"]})
    closure = {"activity_id": None, "from": "2026-12-17", "to": "2026-12-18", "label": "Erreur de saisie"}
    status, answer = await post_closure(harness, closure)
    assert status == 201 and answer["cancelled_reservations"] == 1
    grid = await harness.grid(family)
    assert grid["cantine"]["2026-12-18"]["state"] == "closed"  # read, so the rules are cached

    r = await harness.client.delete(f"{ADMIN}/closures/{answer['id']}", headers=harness.staff)
    assert r.status == 204
    assert await harness.count("closures", "id = $1", uuid.UUID(answer["id"])) == 0
    grid = await harness.grid(family)  # the cached rules were replaced: the days are open again
    assert grid["cantine"]["2026-12-18"]["state"] == "bookable" and grid["cantine"]["2026-12-18"]["editable"]
    # What the closure cancelled stays cancelled (credited, told): the family books again if it wishes.
    assert await reservation_states(harness, family) == {"2026-12-17": "cancelled"}
    r = await harness.client.get(ADMIN + "/closures", params={"from": "2026-12-01", "to": "2026-12-31"},
                                 headers=harness.staff)  # fmt: skip
    assert answer["id"] not in {c["id"] for c in (await r.json())["closures"]}

    # Again, or an unknown id: 404 problem+json, nothing changes; a parent may not.
    for target in (answer["id"], str(uuid.uuid4())):
        r = await harness.client.delete(f"{ADMIN}/closures/{target}", headers=harness.staff)
        assert r.status == 404 and r.content_type == "application/problem+json"
        assert (await r.json())["title"] == "Cette fermeture n'existe pas."
    kept = await post_closure(harness, {**closure, "label": "Vraie fermeture"})
    r = await harness.client.delete(f"{ADMIN}/closures/{kept[1]['id']}", headers=family.headers)
    assert r.status == 403
    assert await harness.count("closures", "label = 'Vraie fermeture'") == 1
