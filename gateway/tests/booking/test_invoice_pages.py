"""« Payer mes factures » and « Mes documents »: the lists, an invoice's detail, « Payer » (CSRF,
303 to the simulated Treasury), the PDF downloads, and another family's ids."""

from __future__ import annotations

import uuid

from ..browser import csrf_in
from ..fake_billing_invoices import INVOICES
from .test_basket_pages import plain


def invoices_of(services):
    return services["billing"].app[INVOICES]


async def test_unpaid_invoices_come_first_with_payer_and_a_pdf_link(parent, services):
    store = invoices_of(services)
    paid = store.add(parent.dossier, number="2026-000041", paid=True)
    unpaid = store.add(parent.dossier, number="2026-000042", total_cents=1122)
    page = await parent.get("/facturation/factures")
    assert page.status == 200
    text = plain(page.text)
    assert "Payer mes factures" in text and "Montant restant à régler : 11,22 €" in text
    assert text.index("2026-000042") < text.index("Factures réglées") < text.index("2026-000041")
    assert f'action="/facturation/factures/{unpaid}/payer"' in page.html
    assert f'action="/facturation/factures/{paid}/payer"' not in page.html
    assert f'href="/facturation/factures/{paid}/pdf"' in page.html


async def test_payer_posts_with_csrf_and_goes_to_the_treasury(parent, services):
    invoice_id = invoices_of(services).add(parent.dossier)
    action = f"/facturation/factures/{invoice_id}/payer"
    refused = await parent.post(action, {})
    assert refused.status == 403  # no CSRF token
    assert invoices_of(services).payments == []
    page = await parent.submit("/facturation/factures", action)
    assert page.status == 303 and page.location.startswith("/simulated-treasury/?idop=")
    (payment,) = invoices_of(services).payments
    assert payment["amount_cents"] == 748


async def test_an_invoice_already_paid_says_so(parent, services):
    store = invoices_of(services)
    invoice_id = store.add(parent.dossier)
    page = await parent.get("/facturation/factures")
    token = csrf_in(page.html, f"/facturation/factures/{invoice_id}/payer")
    store.invoices[invoice_id]["doc"] |= {"status": "paid", "outstanding_cents": 0, "paid_cents": 748}
    answer = await parent.post(f"/facturation/factures/{invoice_id}/payer", {"csrf_token": token})
    assert answer.status == 409 and "Cette facture est déjà réglée." in plain(answer.text)


async def test_the_detail_lists_the_lines_and_the_pdf_downloads(parent, services):
    invoice_id = invoices_of(services).add(parent.dossier)
    page = await parent.get(f"/facturation/factures/{invoice_id}")
    assert page.status == 200
    text = plain(page.text)
    assert "Facture n° 2026-000042" in text and "03/11/2026 Arthur" in text and "3,74 €" in text
    # A line of one day shows its amount; one of several, its quantity and unit price too.
    assert "Prix unitaire" not in text
    assert "03/11/2026 Arthur 2026/2027 - Cantine (présence sans réservation) 3,74 € 05/11/2026" in text
    assert "Retard à la sortie du périscolaire 2 × 5,00 € 10,00 €" in text
    response = await parent.client.get(f"/facturation/factures/{invoice_id}/pdf", allow_redirects=False)
    assert response.status == 200 and response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert (await response.read()).startswith(b"%PDF-")


async def test_my_documents_lists_and_downloads_only_my_own(parent, services, accounts):
    store = invoices_of(services)
    mine = store.add(parent.dossier)
    theirs = store.add(accounts.add_dossier("405", "MARTIN"), number="2026-000050")
    page = await parent.get("/mon-dossier/documents")
    assert page.status == 200
    text = plain(page.text)
    assert "Mes documents dématérialisés" in text and "Facture n° 2026-000042" in text and "2026-000050" not in text
    assert f'href="/mon-dossier/documents/{mine}/pdf"' in page.html
    ok = await parent.client.get(f"/mon-dossier/documents/{mine}/pdf", allow_redirects=False)
    assert ok.status == 200 and (await ok.read()).startswith(b"%PDF-")
    for path in (f"/mon-dossier/documents/{theirs}/pdf", f"/facturation/factures/{theirs}",
                 f"/facturation/factures/{theirs}/pdf", f"/mon-dossier/documents/{uuid.uuid4()}/pdf"):  # fmt: skip
        refused = await parent.get(path)
        assert refused.status == 404, path


async def test_the_pages_need_a_signed_in_parent(browser):
    for path in ("/facturation/factures", "/mon-dossier/documents"):
        page = await browser.get(path)
        assert page.status in (302, 303) and "/connexion" in page.location, path
