"""« Mes documents » → « Demander une attestation fiscale »: the year chosen among the past
ones, the POST (CSRF) to billing's ``POST /api/billing/attestation-requests`` (the fake held
to billing's OpenAPI document), the request's state, the download once approved, and the
French sentences when billing refuses or is not there."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer
from gateway.ui.documents import offered_years, this_year

from .browser import csrf_in
from .fake_accounts import fake_accounts
from .fake_billing import fake_billing
from .fake_billing_invoices import INVOICES, Invoices
from .standins import serving, stand_ins
from .test_messaging_pages import text_of

PAGE = "/mon-dossier/documents"
LAST, BEFORE = str(this_year() - 1), str(this_year() - 2)
ACTION = "/mon-dossier/documents/attestation-fiscale"


@pytest.fixture
async def services() -> AsyncIterator[dict[str, TestServer]]:
    async with serving(stand_ins(accounts=fake_accounts(), billing=fake_billing())) as servers:
        yield servers


@pytest.fixture
def store(services) -> Invoices:
    return services["billing"].app[INVOICES]


def test_the_years_offered_are_the_past_three_less_those_asked_for():
    assert offered_years(2026, set()) == [("2025", "2025"), ("2024", "2024"), ("2023", "2023")]
    assert offered_years(2026, {2025, 2023}) == [("2024", "2024")]
    assert offered_years(2026, {2025, 2024, 2023}) == []


async def test_a_parent_asks_for_an_attestation_and_sees_it_pending(parent, store, services):
    page = await parent.get(PAGE)
    assert page.status == 200
    assert "Demander une attestation fiscale" in page.text
    assert f'action="{ACTION}"' in page.html and 'name="csrf_token"' in page.html
    assert f'<option value="{LAST}">{LAST}</option>' in page.html and f'value="{this_year()}"' not in page.html

    sent = await parent.submit(PAGE, ACTION, {"year": LAST})
    assert sent.status == 303 and sent.location == PAGE + "?message=attestation-demandee"
    calls = [r for r in services["billing"].app[INVOICES].attestations]
    assert [c["doc"]["year"] for c in calls] == [int(LAST)]

    page = await parent.get(sent.location)
    text = text_of(page.html)
    assert "Votre demande d'attestation fiscale est enregistrée" in text
    assert f"Attestation fiscale {LAST}" in text
    assert "En attente de validation par le service Facturation" in text
    assert f'<option value="{LAST}">' not in page.html  # asked for: no longer offered
    assert "/pdf" not in page.html.split('id="attestation-fiscale"')[1]  # nothing to download yet


async def test_once_approved_the_attestation_is_available_and_downloads(parent, store):
    await parent.submit(PAGE, ACTION, {"year": BEFORE})
    store.approve(store.attestations[0]["doc"]["id"], total_cents=45600)
    page = await parent.get(PAGE)
    text = text_of(page.html).replace("\u202f", " ").replace("\xa0", " ")
    assert "Disponible (456,00 €)" in text
    href = f"{PAGE}/{store.attestations[0]['doc']['id']}/pdf"
    assert page.html.count(f'href="{href}"') == 2  # in « Mes documents » and beside the request
    pdf = await parent.client.get(href)
    assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF-")


async def test_asking_twice_for_a_year_says_so_in_french_and_changes_nothing(parent, store):
    page = await parent.get(PAGE)
    token = csrf_in(page.html, ACTION)
    assert (await parent.post(ACTION, {"csrf_token": token, "year": LAST})).status == 303
    again = await parent.post(ACTION, {"csrf_token": token, "year": LAST})
    assert again.status == 409
    assert f"L'attestation {LAST} a déjà été demandée." in text_of(again.html)
    assert len(store.attestations) == 1


async def test_no_year_or_a_year_billing_refuses_is_said_beside_the_field(parent, store):
    page = await parent.get(PAGE)
    token = csrf_in(page.html, ACTION)
    empty = await parent.post(ACTION, {"csrf_token": token, "year": ""})
    assert empty.status == 422 and "Choisissez l'année de l'attestation." in text_of(empty.html)
    assert 'aria-invalid="true"' in empty.html
    future = await parent.post(ACTION, {"csrf_token": token, "year": str(this_year())})
    assert future.status == 422 and f"Choisissez une année passée (avant {this_year()})." in text_of(future.html)
    assert store.attestations == []


async def test_without_the_csrf_token_nothing_is_asked(parent, store):
    refused = await parent.post(ACTION, {"year": LAST})
    assert refused.status == 403
    assert store.attestations == []


async def test_billing_unavailable_is_said_in_french(parent, services):
    page = await parent.get(PAGE)
    token = csrf_in(page.html, ACTION)
    await services["billing"].close()
    answer = await parent.post(ACTION, {"csrf_token": token, "year": LAST})
    assert answer.status in (502, 503)
    text = text_of(answer.html)
    assert "Le service Facturation est momentanément indisponible : votre demande n'a pas été enregistrée." in text
    assert 'name="year"' in answer.html  # the form is still there, to try again


async def test_another_familys_attestation_is_not_found(parent, store, accounts, browser):
    other = accounts.add_dossier("405", "MARTIN")
    store.attestations.append({"dossier": str(other), "doc": {
        "id": "0b9f1c9e-6a55-4a57-9d43-2f3b6f0e8a11", "year": 2025, "state": "approved",
        "requested_at": "2026-12-01T10:00:00+00:00", "approved_at": "2026-12-02T10:00:00+00:00",
        "total_cents": 100}})  # fmt: skip
    page = await parent.get(PAGE)
    assert "Attestation fiscale 2025" not in text_of(page.html)
    refused = await parent.get(f"{PAGE}/0b9f1c9e-6a55-4a57-9d43-2f3b6f0e8a11/pdf")
    assert refused.status == 404
