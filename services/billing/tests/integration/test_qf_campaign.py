"""The February campaign on the real service, with an injected clock: reminders at most
weekly to the families that have not renewed, the parent's QF page before/during/after."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import aiohttp
from billing.service import campaign
from billing.web import billing_of_app

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


async def validated_qf(harness, fam, value: int, valid_from: str, valid_to: str) -> None:
    await harness.request(
        "POST", f"/api/billing/admin/dossiers/{fam.dossier_id}/qf",
        json={"value": value, "valid_from": valid_from, "valid_to": valid_to, "proof": "attestation_caf",
              "state": "validated"},
        headers=harness.staff_headers(), expect=201,
    )  # fmt: skip


def at(*args) -> datetime:
    return datetime(*args, 9, 0, tzinfo=UTC)


async def test_the_campaign_reminds_each_family_without_a_new_qf_at_most_once_a_week(harness):
    silent = await harness.family()  # renewed already
    await validated_qf(harness, silent, 800, "2027-02-01", "2028-01-31")
    waiting = await harness.family()  # sent its proof: staff have it, no reminder
    data = aiohttp.FormData()
    data.add_field("kind", "avis_imposition")
    data.add_field("year", "2027")
    data.add_field("file", PDF, filename="avis.pdf")
    await harness.request("POST", "/api/billing/qf-proofs", data=data, headers=waiting.headers, expect=201)
    covered = await harness.family(qf=650)  # a QF valid 2026-09-01..2027-08-31: covers 1 February
    forgetful = await harness.family()  # nothing at all

    _, opened = await harness.request("POST", "/api/billing/admin/qf-campaigns",
                                      json={"year": 2027, "ends_on": "2027-02-28"},
                                      headers=harness.staff_headers(), expect=201)  # fmt: skip
    assert opened == {"year": 2027, "starts_on": "2027-02-01", "ends_on": "2027-02-28"}
    await harness.request("POST", "/api/billing/admin/qf-campaigns", json={"year": 2027, "ends_on": "2027-02-27"},
                          headers=harness.staff_headers(), expect=409)  # fmt: skip
    _, refused = await harness.request("POST", "/api/billing/admin/qf-campaigns",
                                       json={"year": 2028, "ends_on": "2027-12-01"},
                                       headers=harness.staff_headers(), expect=422)  # fmt: skip
    assert refused["errors"][0]["field"] == "ends_on"

    base = billing_of_app(harness.client.server.app)

    def ctx(now: datetime):
        return dataclasses.replace(base, clock=lambda: now)

    def reminded(fam) -> int:
        return len(harness.events("billing.qf_campaign.reminder_due", dossier_id=fam.dossier_id))

    await campaign.send_reminders(ctx(at(2027, 2, 3)))
    [event] = await harness.wait_events("billing.qf_campaign.reminder_due", dossier_id=forgetful.dossier_id)
    assert event["year"] == 2027 and event["ends_on"] == "2027-02-28"
    assert (reminded(silent), reminded(waiting), reminded(covered)) == (0, 0, 0)

    assert await campaign.send_reminders(ctx(at(2027, 2, 9))) == 0  # six days later: nothing
    assert reminded(forgetful) == 1
    await campaign.send_reminders(ctx(at(2027, 2, 10)))  # a week later: again
    await harness.wait_events("billing.qf_campaign.reminder_due", 2, dossier_id=forgetful.dossier_id)
    assert await campaign.send_reminders(ctx(at(2027, 3, 1))) == 0  # the campaign is over
    assert await campaign.send_reminders(ctx(at(2027, 3, 20))) == 0
    assert reminded(forgetful) == 2


async def test_the_parent_page_before_during_and_after_the_campaign(harness):
    fam = await harness.family()
    await validated_qf(harness, fam, 450, "2027-02-01", "2028-01-31")
    base = billing_of_app(harness.client.server.app)

    async def page(now: datetime) -> dict:
        return await campaign.family_qf(dataclasses.replace(base, clock=lambda: now), fam.dossier_id)

    # The 2028 campaign (ends 29 February 2028) is not opened yet on 20 January 2028.
    before = await page(at(2028, 1, 20))
    assert before["qf"].value == 450 and before["campaign"] is None and not before["in_grace"]
    await harness.request("POST", "/api/billing/admin/qf-campaigns", json={"year": 2028, "ends_on": "2028-02-29"},
                          headers=harness.staff_headers(), expect=201)  # fmt: skip
    during = await page(at(2028, 2, 15))
    assert during["qf"].value == 450 and during["in_grace"] and during["needs_renewal"]
    assert during["campaign"].ends_on.isoformat() == "2028-02-29"
    after = await page(at(2028, 3, 1))
    assert after["qf"] is None and after["campaign"] is None  # the highest tariff from now on


async def test_the_checkout_prices_february_with_the_old_qf_until_the_end_date_then_the_highest_tariff(harness):
    fam = await harness.family()
    await validated_qf(harness, fam, 500, "2026-02-01", "2027-01-31")
    response, _ = await harness.request("POST", "/api/billing/admin/qf-campaigns",
                                        json={"year": 2027, "ends_on": "2027-02-28"}, headers=harness.staff_headers())  # fmt: skip
    assert response.status in (201, 409)  # opened by the first test of this module when it ran first
    days = [date(2027, 1, 29), date(2027, 2, 1), date(2027, 2, 26), date(2027, 3, 1)]
    quote = await harness.call("quote", {"dossier_id": str(fam.dossier_id), "lines": harness.lines(fam, days)})
    # before the new period, the grace (to 28 February), then the highest tariff
    assert [(x["date"], x["amount_cents"]) for x in quote["lines"]] == [
        ("2027-01-29", 150), ("2027-02-01", 150), ("2027-02-26", 150), ("2027-03-01", 374),
    ]  # fmt: skip
