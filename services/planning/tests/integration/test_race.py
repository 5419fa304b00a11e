"""Never overbooked: 50 families pay at the same moment for the last 3 places of a day."""

from __future__ import annotations

import asyncio
import uuid

FAMILIES = 50
PLACES = 3
DAY = "2026-12-03"


async def test_fifty_families_race_for_the_last_three_places(harness):
    r = await harness.client.post(
        "/api/planning/admin/activities",
        json={
            "school_year": "2026/2027",
            "code": "atelier",
            "name": "Atelier cuisine (16h30 à 18h)",
            "weekdays": [4],
            "starts_at": "16:30",
            "ends_at": "18:00",
            "capacity": PLACES,
        },
        headers=harness.staff,
    )
    assert r.status == 201, await r.text()
    harness.activities["atelier"] = uuid.UUID((await r.json())["id"])

    gate = asyncio.Semaphore(8)

    async def ready_family():
        async with gate:
            family = await harness.make_family(enrol=("atelier",))
            r = await harness.put_month(family, {"atelier": [DAY]})
            assert r.status == 200, await r.text()
            return family

    families = await asyncio.gather(*(ready_family() for _ in range(FAMILIES)))
    calls_before = len(harness.billing.payment_calls)

    responses = await asyncio.gather(*(harness.checkout(f) for f in families))
    answers = [(r.status, await r.json()) for r in responses]
    winners = [(f, body) for f, (status, body) in zip(families, answers, strict=True) if status == 200]
    losers = [(f, body) for f, (status, body) in zip(families, answers, strict=True) if status != 200]

    assert len(winners) == PLACES
    assert all(body["type"].endswith("/days_full") and body["days"][0]["date"] == DAY for _, body in losers)
    assert {status for status, _ in answers} == {200, 409}
    # billing was asked only for the three who got a place: nothing charged to the others
    new_calls = harness.billing.payment_calls[calls_before:]
    assert sorted(c["dossier_id"] for c in new_calls) == sorted(str(f.dossier_id) for f, _ in winners)

    for _, answer in winners:
        call = harness.billing.call_for(answer["basket_id"])
        await harness.billing.succeed(call, harness.billing.payments[call["checkout_id"]])
    for _, answer in winners:
        await harness.wait_published("planning.reservations.confirmed", basket_id=answer["basket_id"])

    places = await harness.places("atelier", DAY)
    assert (places["capacity"], places["confirmed"], places["held"]) == (PLACES, PLACES, 0)
    assert (
        await harness.count("reservations", "activity_id = $1 AND status = 'confirmed'", harness.activities["atelier"])
        == PLACES
    )
    loser = losers[0][0]
    grid = await harness.grid(loser)
    assert grid["atelier"][DAY]["state"] == "full" and grid["atelier"][DAY]["places_left"] == 0
    basket = await (await harness.client.get("/api/planning/basket", headers=loser.headers)).json()
    assert basket["lines"] == []  # the full day left the loser's basket
