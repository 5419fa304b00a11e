"""QF proofs on the real service: uploads checked from their content, staff review, the scan hook."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import aiohttp
import pytest
from billing.service import qf_proofs
from billing.web import billing_of_app
from servicekit.identity import Identity
from servicekit.requests import Upload

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TABLES = ("qf_proofs", "qf_values", "outbox")


def form(content: bytes, filename: str = "avis.pdf", kind: str = "avis_imposition", year: int | None = None):
    data = aiohttp.FormData()
    data.add_field("kind", kind)
    data.add_field("year", str(year or datetime.now(UTC).year))
    data.add_field("file", content, filename=filename, content_type="application/pdf")
    return data


async def counts(harness) -> dict[str, int]:
    return {table: await harness.count(table) for table in TABLES}


def stored_files(harness) -> list:
    return sorted(harness.settings.uploads_dir.iterdir())


@pytest.mark.parametrize(
    ("content", "status", "words"),
    [
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", 415, "PDF, JPEG ou PNG"),
        (PDF + b"%<html><script>document.location='https://evil.example'</script></html>\n", 415, "PDF, JPEG ou PNG"),
        (b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), 413, "5 Mo"),
        (b"", 422, "Joignez votre justificatif"),
    ],
    ids=["html-named-pdf", "polyglot", "oversized", "empty"],
)
async def test_a_file_that_is_not_a_small_pdf_jpeg_or_png_is_refused_in_french_and_nothing_is_kept(
    harness, content, status, words
):
    fam = await harness.family()
    before, files_before = await counts(harness), stored_files(harness)
    _, body = await harness.request(
        "POST", "/api/billing/qf-proofs", data=form(content), headers=fam.headers, expect=status
    )
    assert words in body["title"] or any(words in e["message"] for e in body.get("errors", []))
    assert await counts(harness) == before
    assert stored_files(harness) == files_before


async def test_an_accepted_proof_validates_the_familys_qf_for_the_campaign_period(harness):
    fam = await harness.family()
    _, proof = await harness.request(
        "POST", "/api/billing/qf-proofs", data=form(PDF, filename="../../etc/passwd.pdf", year=2027),
        headers=fam.headers, expect=201,
    )  # fmt: skip
    assert proof["state"] == "pending" and proof["content_type"] == "application/pdf"
    # Stored by its id under the uploads directory, never by the parent's file name.
    stored = harness.settings.uploads_dir / uuid.UUID(proof["id"]).hex
    assert stored.read_bytes() == PDF
    assert not any("passwd" in p.name for p in stored_files(harness))

    _, page = await harness.get("/api/billing/qf", headers=fam.headers, expect=200)
    assert page["latest_proof"]["id"] == proof["id"] and page["latest_proof"]["state"] == "pending"

    _, listed = await harness.get("/api/billing/admin/qf-proofs?state=pending", headers=harness.staff_headers(),
                                  expect=200)  # fmt: skip
    assert proof["id"] in [p["id"] for p in listed["proofs"]]
    response, _ = await harness.get(f"/api/billing/admin/qf-proofs/{proof['id']}/file",
                                    headers=harness.staff_headers(), expect=200)  # fmt: skip
    assert await response.read() == PDF and response.headers["X-Content-Type-Options"] == "nosniff"

    _, accepted = await harness.request(
        "POST", f"/api/billing/admin/qf-proofs/{proof['id']}/accept", json={"value": 740},
        headers=harness.staff_headers(), expect=200,
    )  # fmt: skip
    assert accepted["proof"]["state"] == "accepted"
    assert accepted["qf"] | {"id": None} == {
        "id": None, "value": 740, "valid_from": "2027-02-01", "valid_to": "2028-01-31",
        "proof": "avis_imposition", "proof_label": "Avis d'imposition", "state": "validated",
    }  # fmt: skip
    [changed] = await harness.wait_events("billing.qf.changed", dossier_id=fam.dossier_id)
    assert changed["value"] == 740 and changed["state"] == "validated"
    # Deciding twice is refused.
    await harness.request("POST", f"/api/billing/admin/qf-proofs/{proof['id']}/reject", json={"reason": "x"},
                          headers=harness.staff_headers(), expect=409)  # fmt: skip


async def test_a_rejected_proof_tells_the_family_why(harness):
    fam = await harness.family()
    _, proof = await harness.request("POST", "/api/billing/qf-proofs", data=form(PNG, "caf.png", "attestation_caf"),
                                     headers=fam.headers, expect=201)  # fmt: skip
    assert proof["content_type"] == "image/png"
    await harness.request("POST", f"/api/billing/admin/qf-proofs/{proof['id']}/reject",
                          json={"reason": "Document illisible"}, headers=harness.staff_headers(), expect=200)  # fmt: skip
    [event] = await harness.wait_events("billing.qf_proof.rejected", dossier_id=fam.dossier_id)
    assert event["reason"] == "Document illisible"
    _, page = await harness.get("/api/billing/qf", headers=fam.headers, expect=200)
    assert page["latest_proof"]["state"] == "rejected" and page["latest_proof"]["reject_reason"] == "Document illisible"


async def test_proofs_are_staff_only_and_an_unknown_proof_is_404(harness):
    fam = await harness.family()
    await harness.get("/api/billing/admin/qf-proofs", headers=fam.headers, expect=403)
    await harness.get(f"/api/billing/admin/qf-proofs/{uuid.uuid4()}/file", headers=harness.staff_headers(),
                      expect=404)  # fmt: skip


async def test_the_virus_scan_hook_refuses_a_flagged_file_and_keeps_nothing(harness, tmp_path):
    # A stand-in for clamdscan: exit 1 (infected) when the file holds the EICAR marker.
    scanner = tmp_path / "fake-scan"
    # The file is the last argument, after the configured options (as clamdscan takes it).
    scanner.write_text('#!/bin/sh\nfor f in "$@"; do :; done\nif grep -q EICAR "$f"; then exit 1; fi\nexit 0\n')
    scanner.chmod(0o755)
    fam = await harness.family()
    base = billing_of_app(harness.client.server.app)
    ctx = dataclasses.replace(base, qf=dataclasses.replace(base.qf, virus_scan_command=f"{scanner} --no-summary"))
    who = Identity(user_id=uuid.uuid4(), roles=frozenset(), dossier_id=fam.dossier_id)
    year = datetime.now(UTC).year
    before, files_before = await counts(harness), stored_files(harness)
    with pytest.raises(qf_proofs.ProofInfected):
        await qf_proofs.upload_proof(ctx, who, fam.dossier_id, kind="avis_imposition", year=year,
                                     upload=Upload("a.pdf", PDF + b"%EICAR-STANDARD-ANTIVIRUS-TEST\n"))  # fmt: skip
    assert await counts(harness) == before and stored_files(harness) == files_before
    clean = await qf_proofs.upload_proof(ctx, who, fam.dossier_id, kind="avis_imposition", year=year,
                                         upload=Upload("a.pdf", PDF))  # fmt: skip
    assert clean["state"] == "pending"
    broken = dataclasses.replace(base, qf=dataclasses.replace(base.qf, virus_scan_command=str(tmp_path / "absent")))
    with pytest.raises(qf_proofs.ScanUnavailable):
        await qf_proofs.upload_proof(broken, who, fam.dossier_id, kind="avis_imposition", year=year,
                                     upload=Upload("a.pdf", PDF))  # fmt: skip


async def test_a_scanner_that_hangs_is_stopped_and_the_upload_refused(harness, tmp_path):
    scanner = tmp_path / "hanging-scan"
    scanner.write_text("#!/bin/sh\nexec sleep 30\n")
    scanner.chmod(0o755)
    fam = await harness.family()
    base = billing_of_app(harness.client.server.app)
    slow = dataclasses.replace(
        base, qf=dataclasses.replace(base.qf, virus_scan_command=str(scanner), virus_scan_timeout_seconds=0.3)
    )
    who = Identity(user_id=uuid.uuid4(), roles=frozenset(), dossier_id=fam.dossier_id)
    files_before = stored_files(harness)
    with pytest.raises(qf_proofs.ScanUnavailable):
        await qf_proofs.upload_proof(slow, who, fam.dossier_id, kind="avis_imposition", year=datetime.now(UTC).year,
                                     upload=Upload("a.pdf", PDF))  # fmt: skip
    assert stored_files(harness) == files_before


async def test_a_proof_whose_file_is_gone_answers_a_french_404(harness):
    fam = await harness.family()
    _, proof = await harness.request("POST", "/api/billing/qf-proofs", data=form(PDF), headers=fam.headers,
                                     expect=201)  # fmt: skip
    (harness.settings.uploads_dir / uuid.UUID(proof["id"]).hex).unlink()
    _, body = await harness.get(f"/api/billing/admin/qf-proofs/{proof['id']}/file", headers=harness.staff_headers(),
                                expect=404)  # fmt: skip
    assert body["title"] == "Le fichier de ce justificatif est introuvable."


async def test_decided_proofs_lose_their_file_after_the_retention_and_keep_their_review_record(harness):
    """BILLING_QF_PROOF_RETENTION_DAYS after the decision the purge job deletes the file and
    blanks its name; who decided, when and what stay. A pending proof is never purged."""
    from datetime import timedelta

    from billing.service import qf_retention

    staff = harness.staff_headers()
    fam = await harness.family()
    uploaded = []
    for _ in range(3):
        _, proof = await harness.request("POST", "/api/billing/qf-proofs", data=form(PDF), headers=fam.headers,
                                         expect=201)  # fmt: skip
        uploaded.append(proof)
    accepted, rejected, pending = uploaded
    await harness.request("POST", f"/api/billing/admin/qf-proofs/{accepted['id']}/accept", json={"value": 640},
                          headers=staff, expect=200)  # fmt: skip
    await harness.request("POST", f"/api/billing/admin/qf-proofs/{rejected['id']}/reject",
                          json={"reason": "Document illisible"}, headers=staff, expect=200)  # fmt: skip
    decided = {r["id"]: r["decided_at"] for r in await harness.db.fetch(
        "SELECT id, decided_at FROM qf_proofs WHERE dossier_id = $1 AND decided_at IS NOT NULL", fam.dossier_id)}  # fmt: skip
    assert len(decided) == 2
    last_decision = max(decided.values())
    base = billing_of_app(harness.client.server.app)
    retention = dataclasses.replace(base.qf, proof_retention_days=90)

    def at(moment):
        return dataclasses.replace(base, qf=retention, clock=lambda: moment)

    def file_of(proof):
        return harness.settings.uploads_dir / uuid.UUID(proof["id"]).hex

    # A day before the retention ends, nothing of this family's goes.
    await qf_retention.purge_expired_proofs(at(min(decided.values()) + timedelta(days=89)))
    assert all(file_of(p).exists() for p in uploaded)

    purged_at = last_decision + timedelta(days=90)
    assert await qf_retention.purge_expired_proofs(at(purged_at)) >= 2
    assert not file_of(accepted).exists() and not file_of(rejected).exists()
    assert file_of(pending).read_bytes() == PDF  # still waiting for review: kept
    rows = {str(r["id"]): r for r in await harness.db.fetch("SELECT * FROM qf_proofs WHERE dossier_id = $1",
                                                             fam.dossier_id)}  # fmt: skip
    for proof, state in ((accepted, "accepted"), (rejected, "rejected")):
        row = rows[proof["id"]]
        assert row["stored_name"] is None and row["purged_at"] == purged_at
        assert row["state"] == state and row["decided_by"] is not None and row["decided_at"] is not None
    assert rows[accepted["id"]]["qf_id"] is not None and rows[rejected["id"]]["reject_reason"] == "Document illisible"
    assert rows[pending["id"]]["stored_name"] is not None and rows[pending["id"]]["purged_at"] is None

    _, body = await harness.get(f"/api/billing/admin/qf-proofs/{accepted['id']}/file", headers=staff, expect=404)
    assert "durée de conservation" in body["title"]
    _, listed = await harness.get("/api/billing/admin/qf-proofs?state=accepted", headers=staff, expect=200)
    [mine] = [p for p in listed["proofs"] if p["id"] == accepted["id"]]
    assert mine["state"] == "accepted" and mine["decided_at"] and mine["purged_at"]
    # A second round finds nothing more of theirs to do.
    assert await qf_retention.purge_expired_proofs(at(purged_at)) == 0
