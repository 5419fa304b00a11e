"""Staff's API: tariff grids, QFs, payments, credits and refunds, CSV exports; role-scoped,
and every refusal a French problem that changes nothing."""

from __future__ import annotations

import uuid
from datetime import date

TARIFFS = "/api/billing/admin/tariffs"


async def test_a_tariff_grid_is_set_and_read_back(harness):
    activity_id = await harness.new_activity(grid=None, code="peri_matin")
    grid = [{"qf_max": 600, "unit_price_cents": 90}, {"qf_max": None, "unit_price_cents": 220}]
    _, body = await harness.request(
        "PUT", f"{TARIFFS}/{activity_id}", json={"brackets": grid}, headers=harness.staff_headers(), expect=200
    )
    assert body["school_year"] == "2026/2027" and body["activity_name"].endswith("Cantine (11h30 à 13h30)")
    assert [(b["qf_min"], b["qf_max"], b["unit_price_cents"], b["unit_price"]) for b in body["brackets"]] == [
        (0, 600, 90, "0,90\u00a0€"),
        (601, None, 220, "2,20\u00a0€"),
    ]
    _, listed = await harness.get(TARIFFS, headers=harness.staff_headers(), expect=200)
    assert any(t["activity_id"] == str(activity_id) for t in listed["tariffs"])
    _, one = await harness.get(f"{TARIFFS}/{activity_id}", headers=harness.staff_headers(), expect=200)
    assert one == body


async def test_bad_grids_are_refused_bracket_by_bracket_and_change_nothing(harness):
    activity_id = await harness.new_activity(code="alsh_mercredi")
    _, before = await harness.get(f"{TARIFFS}/{activity_id}", headers=harness.staff_headers(), expect=200)
    cases = [
        ([{"qf_max": 600, "unit_price_cents": 150}, {"qf_max": 600, "unit_price_cents": 280},
          {"qf_max": None, "unit_price_cents": 374}], "brackets[1].qf_max", "tariff_grid_overlap"),
        ([{"qf_max": 600, "unit_price_cents": 150}], "brackets", "tariff_grid_no_default"),
        ([{"qf_max": 600, "unit_price_cents": 150}, {"qf_min": 700, "qf_max": None, "unit_price_cents": 374}],
         "brackets[1].qf_min", "tariff_grid_gap"),
        ([{"qf_max": 600, "unit_price_cents": 500}, {"qf_max": None, "unit_price_cents": 374}],
         "brackets[1].unit_price_cents", "tariff_default_not_highest"),
        ([{"qf_max": 600, "unit_price_cents": 1.5}, {"qf_max": None, "unit_price_cents": 374}],
         "brackets.0.unit_price_cents", None),  # a float is never an amount
        ([], "brackets", "tariff_grid_empty"),
    ]  # fmt: skip
    for brackets, field, code in cases:
        response, problem = await harness.request(
            "PUT", f"{TARIFFS}/{activity_id}", json={"brackets": brackets}, headers=harness.staff_headers()
        )
        assert response.status == 422 and response.content_type == "application/problem+json", brackets
        assert problem["title"] and all(e["message"] for e in problem["errors"])
        assert field in [e["field"] for e in problem["errors"]], problem
        if code:
            assert code in [e["code"] for e in problem["errors"]], problem
    _, after = await harness.get(f"{TARIFFS}/{activity_id}", headers=harness.staff_headers(), expect=200)
    assert after == before


async def test_a_tariff_for_an_unknown_activity_is_not_found(harness):
    response, problem = await harness.request(
        "PUT", f"{TARIFFS}/{uuid.uuid4()}", json={"brackets": [{"qf_max": None, "unit_price_cents": 374}]},
        headers=harness.staff_headers(),
    )  # fmt: skip
    assert response.status == 404 and problem["type"].endswith("unknown_activity") and problem["title"]


async def test_staff_only(harness):
    parent = await harness.family()
    for headers, status in ((parent.headers, 403), ({}, 401)):
        response, problem = await harness.get(TARIFFS, headers=headers)
        assert response.status == status and problem["title"]
        response, _ = await harness.request(
            "POST", f"/api/billing/admin/dossiers/{parent.dossier_id}/credits",
            json={"amount_cents": 100, "label": "x"}, headers=headers,
        )  # fmt: skip
        assert response.status == status
    assert (await harness.account(parent))["credit_cents"] == 0


async def test_qf_entered_validated_rejected_and_overlaps_refused(harness):
    fam = await harness.family()
    base = f"/api/billing/admin/dossiers/{fam.dossier_id}/qf"
    staff = harness.staff_headers()
    _, first = await harness.request(
        "POST", base, json={"value": 700, "valid_from": "2026-02-01", "valid_to": "2027-01-31",
                            "proof": "avis_imposition"}, headers=staff, expect=201,
    )  # fmt: skip
    assert first["state"] == "pending" and first["proof_label"] == "Avis d'imposition"
    _, done = await harness.request("POST", f"{base}/{first['id']}/validate", headers=staff, expect=200)
    assert done["state"] == "validated"
    _, overlapping = await harness.request(
        "POST", base, json={"value": 300, "valid_from": "2027-01-01", "valid_to": "2027-12-31",
                            "proof": "attestation_caf"}, headers=staff, expect=201,
    )  # fmt: skip
    response, problem = await harness.request("POST", f"{base}/{overlapping['id']}/validate", headers=staff)
    assert response.status == 409 and problem["type"].endswith("qf_overlap")
    await harness.request("POST", f"{base}/{overlapping['id']}/reject", headers=staff, expect=200)
    response, _ = await harness.request("POST", f"{base}/{overlapping['id']}/validate", headers=staff)
    assert response.status == 409  # a rejected QF stays rejected
    _, listed = await harness.get(base, headers=staff, expect=200)
    assert [(q["value"], q["state"]) for q in listed["qfs"]] == [(700, "validated"), (300, "rejected")]
    for bad in (
        {"value": -1, "valid_from": "2026-02-01", "valid_to": "2027-01-31", "proof": "avis_imposition"},
        {"value": 500, "valid_from": "2027-02-01", "valid_to": "2026-01-31", "proof": "avis_imposition"},
        {"value": 500, "valid_from": "2026-02-01", "valid_to": "2027-01-31", "proof": "bulletin"},
        {"value": 500.5, "valid_from": "2026-02-01", "valid_to": "2027-01-31", "proof": "avis_imposition"},
    ):
        response, problem = await harness.request("POST", base, json=bad, headers=staff)
        assert response.status == 422 and problem["title"], bad
    response, _ = await harness.request("POST", base, data="{", headers={**staff, "Content-Type": "application/json"})
    assert response.status == 400
    response, _ = await harness.request(
        "POST", f"/api/billing/admin/dossiers/{uuid.uuid4()}/qf",
        json={"value": 500, "valid_from": "2026-02-01", "valid_to": "2027-01-31", "proof": "avis_imposition"},
        headers=staff,
    )  # fmt: skip
    assert response.status == 404
    _, listed = await harness.get(base, headers=staff, expect=200)
    assert len(listed["qfs"]) == 2


async def test_credits_refunds_payments_and_exports(harness):
    fam = await harness.family(qf=500)
    staff = harness.staff_headers()
    base = f"/api/billing/admin/dossiers/{fam.dossier_id}"
    _, credit = await harness.request(
        "POST", f"{base}/credits", json={"amount_cents": 500, "label": "Geste"}, headers=staff, expect=201
    )
    (granted,) = await harness.wait_events("billing.credit.granted", credit_id=credit["id"])
    assert (granted["reason"], granted["amount_cents"]) == ("staff", 500)
    response, problem = await harness.request(
        "POST", f"{base}/refunds", json={"amount_cents": 600, "label": "Virement"}, headers=staff
    )
    assert response.status == 409 and problem["type"].endswith("credit_insufficient")
    for bad in ({"amount_cents": 2.5, "label": "x"}, {"amount_cents": 0, "label": "x"}, {"amount_cents": "5"}):
        response, _ = await harness.request("POST", f"{base}/refunds", json=bad, headers=staff)
        assert response.status == 422
    await harness.request(
        "POST", f"{base}/refunds", json={"amount_cents": 200, "label": "Virement"}, headers=staff, expect=201
    )
    _, account = await harness.get(f"{base}/account", headers=staff, expect=200)
    assert (account["credit_cents"], account["balance_cents"]) == (300, -300)

    _, one = await harness.checkout(fam, [date(2026, 12, 14), date(2026, 12, 15), date(2026, 12, 17)])
    _, two = await harness.checkout(fam, [date(2027, 1, 4)])
    _, page = await harness.get(f"/api/billing/admin/payments?dossier_id={fam.dossier_id}&limit=1", headers=staff,
                                expect=200)  # fmt: skip
    assert [p["id"] for p in page["payments"]] == [two["payment_id"]] and page["next_cursor"]
    _, page2 = await harness.get(
        f"/api/billing/admin/payments?dossier_id={fam.dossier_id}&limit=1&cursor={page['next_cursor']}",
        headers=staff, expect=200,
    )  # fmt: skip
    assert [p["id"] for p in page2["payments"]] == [one["payment_id"]]
    _, covered = await harness.get(
        f"/api/billing/admin/payments?dossier_id={fam.dossier_id}&status=pending", headers=staff, expect=200
    )
    assert {p["status"] for p in covered["payments"]} == {"pending"}
    response, _ = await harness.get("/api/billing/admin/payments?status=lost", headers=staff)
    assert response.status == 422
    response, _ = await harness.get("/api/billing/admin/payments?cursor=forged", headers=staff)
    assert response.status == 422

    response = await harness.client.get("/api/billing/admin/exports/payments.csv", headers=staff)
    assert response.status == 200 and response.content_type == "text/csv"
    text = (await response.read()).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("date;dossier;famille;statut") and one["reference"] in text
    response = await harness.client.get("/api/billing/admin/exports/ledger.csv?from=2020-01-01", headers=staff)
    text = (await response.read()).decode("utf-8-sig")
    assert response.status == 200 and ";refund;Virement;2,00;" in text
    response, _ = await harness.get("/api/billing/admin/exports/ledger.csv?from=hier", headers=staff)
    assert response.status == 422


async def test_a_credit_sent_twice_with_one_idempotency_key_is_granted_once(harness):
    import asyncio

    fam = await harness.family()
    staff = {**harness.staff_headers(), "Idempotency-Key": f"credit-{uuid.uuid4()}"}
    url = f"/api/billing/admin/dossiers/{fam.dossier_id}/credits"
    body = {"amount_cents": 250, "label": "Geste"}
    answers = await asyncio.gather(*(harness.request("POST", url, json=body, headers=staff) for _ in range(3)))
    assert {r.status for r, _ in answers} == {201} and len({b["id"] for _, b in answers}) == 1
    assert (await harness.account(fam))["credit_cents"] == 250
    response, problem = await harness.request("POST", url, json={**body, "amount_cents": 300}, headers=staff)
    assert response.status == 422 and problem["type"].endswith("idempotency_key_reused")
    assert (await harness.account(fam))["credit_cents"] == 250
