"""The family account as parents read it: own family only, signed cursors, integer money."""

from __future__ import annotations

import pytest


async def test_history_is_paginated_newest_first_with_signed_cursors(harness):
    fam = await harness.family()
    staff = harness.staff_headers()
    for cents in (100, 200, 300):
        await harness.request(
            "POST", f"/api/billing/admin/dossiers/{fam.dossier_id}/credits",
            json={"amount_cents": cents, "label": f"Avoir {cents}"}, headers=staff, expect=201,
        )  # fmt: skip
    _, first = await harness.get("/api/billing/history?limit=2", headers=fam.headers, expect=200)
    assert [e["amount_cents"] for e in first["entries"]] == [300, 200] and first["next_cursor"]
    assert first["entries"][0] == {
        **first["entries"][0],
        "kind": "credit",
        "label": "Avoir 300",
        "amount": "3,00\u00a0€",
    }
    _, second = await harness.get(f"/api/billing/history?limit=2&cursor={first['next_cursor']}", headers=fam.headers,
                                  expect=200)  # fmt: skip
    assert [e["amount_cents"] for e in second["entries"]] == [100] and second["next_cursor"] is None
    tampered = first["next_cursor"][:-2] + ("AA" if not first["next_cursor"].endswith("AA") else "BB")
    for query in (f"cursor={tampered}", "limit=0", "limit=abc", "limit=1000"):
        response, problem = await harness.get(f"/api/billing/history?{query}", headers=fam.headers)
        assert response.status == 422 and problem["title"], query
    other = await harness.family()
    _, theirs = await harness.get("/api/billing/history", headers=other.headers, expect=200)
    assert theirs == {"entries": [], "next_cursor": None}
    assert await harness.account(fam) == {
        "balance_cents": -600, "balance": "-6,00\u00a0€", "credit_cents": 600, "credit": "6,00\u00a0€",
        "unpaid_cents": 0, "unpaid": "0,00\u00a0€",
    }  # fmt: skip


async def test_a_user_without_a_family_file_is_refused(harness):
    import uuid

    response, problem = await harness.get("/api/billing/account", headers=harness.headers(uuid.uuid4()))
    assert response.status == 403 and problem["title"]
    response, _ = await harness.get("/api/billing/account")
    assert response.status == 401
    response, _ = await harness.get("/api/billing/payments/not-a-uuid", headers=harness.headers(uuid.uuid4()))
    assert response.status in (403, 404)


@pytest.mark.parametrize("body", [{"amount_cents": 1.5}, {"nested": [{"credit_used_cents": 3.0}]}, {"x_cents": True}])
def test_the_money_check_catches_a_float(harness, body):
    # The check every answer and event of these tests goes through fails on a float amount.
    with pytest.raises(AssertionError):
        harness.assert_integer_money(body)


def test_billing_events_refuse_a_float_amount():
    import uuid
    from datetime import UTC, datetime

    from billing.events import CreditGranted
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        CreditGranted(
            credit_id=uuid.uuid4(), dossier_id=uuid.uuid4(), amount_cents=3.74, reason="staff", label="x",
            granted_at=datetime.now(UTC),
        )  # fmt: skip
