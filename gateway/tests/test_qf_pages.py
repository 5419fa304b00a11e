"""« Quotient familial »: the page against an in-process stand-in of billing (held to
billing's OpenAPI document), the proof sent as multipart with the CSRF token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from .browser import Browser, csrf_in
from .fake_accounts import fake_accounts
from .fake_billing import STATE, State, fake_billing
from .standins import serving, stand_ins
from .test_messaging_pages import section, text_of

PATH = "/facturation/quotient-familial"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


@pytest.fixture
async def services() -> AsyncIterator[dict[str, TestServer]]:
    async with serving(stand_ins(accounts=fake_accounts(), billing=fake_billing())) as servers:
        yield servers


@pytest.fixture
def billing(services) -> State:
    return services["billing"].app[STATE]


def dossier_id(parent: Browser) -> str:
    return str(parent.user.dossier_id)


async def send(parent: Browser, content: bytes | None, filename: str = "avis.pdf", **fields):
    page = await parent.get(PATH)
    assert page.status == 200, page.text[:300]
    form = aiohttp.FormData(quote_fields=False)
    values = {"csrf_token": csrf_in(page.html, PATH), "kind": "avis_imposition", "year": "2027", **fields}
    for name, value in values.items():
        form.add_field(name, value)
    if content is None:
        form.add_field("file", b"", filename="", content_type="application/octet-stream")
    else:
        form.add_field("file", content, filename=filename, content_type="application/pdf")
    return await parent.page(await parent.client.post(PATH, data=form, allow_redirects=False))


async def test_the_home_page_links_the_qf_page_once(parent, billing):
    home = await parent.get("/")
    assert home.html.count(f'href="{PATH}"') == 1


async def test_the_page_shows_the_qf_its_validity_and_the_campaign(parent, billing):
    billing.qf_pages[dossier_id(parent)] = {
        "qf": {"id": "6f0b4f5e-5b1e-4f5e-9d7c-1d1d1d1d1d1d", "value": 740, "valid_from": "2026-02-01",
               "valid_to": "2027-01-31", "proof": "attestation_caf", "proof_label": "Attestation CAF",
               "state": "validated"},
        "in_grace": False,
        "campaign": {"year": 2027, "starts_on": "2027-02-01", "ends_on": "2027-02-28"},
        "needs_renewal": True,
    }  # fmt: skip
    page = await parent.get(PATH)
    assert page.status == 200
    assert "Votre quotient familial est de 740 , valable du 01/02/2026 au 31/01/2027 (Attestation CAF)." in page.text
    assert "ouverte jusqu'au" in page.text and "le tarif le plus fort" in page.text
    assert 'enctype="multipart/form-data"' in page.html and "<script" not in page.html
    assert 'href="/api/billing/qf/card.pdf"' in page.html


async def test_without_a_qf_the_page_says_the_highest_tariff_applies(parent, billing):
    page = await parent.get(PATH)
    assert "Vous n'avez pas de quotient familial valide : le tarif le plus fort s'applique." in page.text


async def test_a_proof_is_sent_to_billing_and_its_state_shown(parent, billing):
    sent = await send(parent, PDF)
    assert sent.status == 303 and sent.location == PATH + "?envoye=oui"
    [proof] = billing.proofs
    assert proof["content"] == PDF and proof["kind"] == "avis_imposition" and proof["year"] == 2027
    page = await parent.get(sent.location)
    assert "Votre justificatif a bien été transmis." in page.text
    assert "Avis d'imposition 2027" in page.text and "En attente de vérification" in page.text


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (
            b"<!DOCTYPE html><html><body>avis</body></html>",
            415,
            "Le justificatif doit être un fichier PDF, JPEG ou PNG",
        ),
        (PDF + b"<html><script>alert(1)</script></html>", 415, "Le justificatif doit être un fichier PDF, JPEG ou PNG"),
        (b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), 413, "Le fichier est trop volumineux (5 Mo maximum)."),
    ],
    ids=["html-named-pdf", "polyglot", "oversized"],
)
async def test_a_refused_file_is_said_in_french_beside_the_file(parent, billing, content, status, message):
    page = await send(parent, content)
    assert page.status == status
    assert message in text_of(section(page.html, "f-file-error"))
    assert billing.proofs == []


async def test_missing_fields_are_refused_without_calling_billing(parent, billing):
    page = await send(parent, None, kind="", year="27")
    assert page.status == 422
    assert "Choisissez le type de justificatif." in page.text
    assert "Saisissez l'année sur quatre chiffres" in page.text
    assert "Choisissez le fichier de votre justificatif" in page.text
    assert billing.proofs == []


async def test_the_form_needs_its_csrf_token(parent, billing):
    form = aiohttp.FormData()
    form.add_field("kind", "avis_imposition")
    form.add_field("year", "2027")
    form.add_field("file", PDF, filename="avis.pdf", content_type="application/pdf")
    resp = await parent.client.post(PATH, data=form, allow_redirects=False)
    assert resp.status == 403
    assert billing.proofs == []


async def test_during_the_grace_the_old_qf_is_said_to_hold_until_the_end_date(parent, billing):
    billing.qf_pages[dossier_id(parent)] = {
        "qf": {"id": "6f0b4f5e-5b1e-4f5e-9d7c-1d1d1d1d1d1d", "value": 500, "valid_from": "2026-02-01",
               "valid_to": "2027-01-31", "proof": "avis_imposition", "proof_label": "Avis d'imposition",
               "state": "validated"},
        "in_grace": True,
        "campaign": {"year": 2027, "starts_on": "2027-02-01", "ends_on": "2027-02-28"},
        "needs_renewal": True,
    }  # fmt: skip
    page = await parent.get(PATH)
    assert "ce quotient reste appliqué jusqu'au 28 février 2027 inclus" in page.text
    assert 'href="/api/billing/qf/card.pdf"' not in page.html  # no card for a QF past its validity


async def test_a_refused_proof_shows_staffs_reason(parent, billing):
    await send(parent, PDF)
    billing.proofs[-1].update(state="rejected", reject_reason="Document illisible <b>")
    page = await parent.get(PATH)
    assert "Refusé — Document illisible <b>." in page.text
    assert "Document illisible &lt;b&gt;" in page.html
