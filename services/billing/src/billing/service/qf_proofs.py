"""Parents' QF proofs: upload (checked from the content, scanned, stored by id), staff review.

The file is written under ``QfConfig.uploads_dir`` with the proof's id as its only name (the
parent's file name is never used, not even stored), then the virus-scan command, if one is
set, runs on it; only a clean file gets its row. Accepting a proof records a validated QF
through the same use case as the staff's QF screen (service/prices.py); rejecting one tells
the family why (``billing.qf_proof.rejected``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shlex
import uuid
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
from servicekit import errors as kit
from servicekit.files import sniff_content_type
from servicekit.identity import Identity
from servicekit.requests import Upload

from ..domain.errors import Conflict, NotFound, invalid
from ..domain.qf import QfProof, QfState, QuotientFamilial, campaign_period
from ..events import QfProofRejected
from ..store import UnitOfWork
from .deps import Billing
from .prices import record_qf, require_family

log = structlog.get_logger(__name__)
PARIS = ZoneInfo("Europe/Paris")

NOT_A_DOCUMENT = (
    "Le justificatif doit être un fichier PDF, JPEG ou PNG (le contenu du fichier a été vérifié, "
    "pas seulement son nom)."
)
UNKNOWN_PROOF = NotFound("Ce justificatif n'existe pas.", code="qf_proof_unknown")


class ProofTooLarge(kit.TooLarge):
    code = "qf_proof_too_large"


class ProofNotADocument(kit.UnsupportedMedia):
    code = "qf_proof_unsupported"
    title = NOT_A_DOCUMENT


class ProofInfected(kit.Invalid):
    code = "qf_proof_infected"
    title = "Ce fichier a été refusé par l'analyse antivirus. Envoyez un autre fichier."


class ScanUnavailable(kit.DomainError):
    status = 503
    code = "virus_scan_unavailable"
    title = "L'analyse antivirus est momentanément indisponible : réessayez dans quelques minutes."


def too_large(max_bytes: int) -> ProofTooLarge:
    return ProofTooLarge(
        title=f"Le justificatif ne doit pas dépasser {max_bytes // (1024 * 1024) or 1} Mo.", field="file"
    )


def check_content(upload: Upload | None, max_bytes: int) -> str:
    """The proof's content type, or a French refusal: missing, empty, too large, not a document."""
    if upload is None or not upload.content:
        raise kit.Invalid("qf_proof_missing", "Joignez votre justificatif (fichier PDF, JPEG ou PNG).", field="file")
    if len(upload.content) > max_bytes:
        raise too_large(max_bytes)
    content_type = sniff_content_type(upload.content)
    if content_type is None:
        raise ProofNotADocument(field="file")
    return content_type


def check_year(year: int, today: date) -> None:
    # The campaign under way, the one before (a late proof) or the next (sent in January).
    if not today.year - 1 <= year <= today.year + 1:
        raise invalid("year", "qf_proof_year_invalid", "L'année du justificatif doit être l'année en cours, la "
                      "précédente ou la suivante.")  # fmt: skip


async def virus_scan(command: str, path: Path, timeout: float) -> None:
    """Run the configured scanner on ``path``: exit 0 clean, 1 infected, anything else fails."""
    if not command:
        return
    try:
        process = await asyncio.create_subprocess_exec(
            *shlex.split(command), str(path), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
    except OSError as exc:  # no such command, not executable
        log.error("virus_scan_failed", error=type(exc).__name__)
        raise ScanUnavailable() from None
    try:
        code = await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        log.error("virus_scan_failed", error="TimeoutError")
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise ScanUnavailable() from None
    if code == 1:
        log.warning("qf_proof_infected", stored_name=path.name)
        raise ProofInfected(field="file")
    if code != 0:
        log.error("virus_scan_failed", exit_code=code)
        raise ScanUnavailable()


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: a name is a fresh uuid, never an existing file; 0600: only billing reads proofs.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(content)


async def upload_proof(
    ctx: Billing, who: Identity, dossier_id: uuid.UUID, *, kind: str, year: int, upload: Upload | None
) -> dict:
    content_type = check_content(upload, ctx.qf.proof_max_bytes)
    check_year(year, ctx.now().astimezone(PARIS).date())
    async with ctx.uow() as uow:
        await require_family(uow, dossier_id)
    proof_id = uuid.uuid4()
    path = ctx.qf.uploads_dir / proof_id.hex
    await asyncio.to_thread(_write, path, upload.content)
    try:
        await virus_scan(ctx.qf.virus_scan_command, path, ctx.qf.virus_scan_timeout_seconds)
        async with ctx.uow() as uow:
            await uow.qf_proofs.add(
                proof_id=proof_id,
                dossier_id=dossier_id,
                kind=QfProof(kind).value,
                year=year,
                content_type=content_type,
                size_bytes=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                stored_name=path.name,
                by=who.user_id,
                at=ctx.now(),
            )
            row = await uow.qf_proofs.get(proof_id)
            await uow.commit()
    except BaseException:
        path.unlink(missing_ok=True)  # no row, no file
        raise
    return dict(row)


async def proof_file(ctx: Billing, proof_id: uuid.UUID) -> tuple[dict, bytes]:
    async with ctx.uow() as uow:
        row = await uow.qf_proofs.get(proof_id)
    if row is None:
        raise UNKNOWN_PROOF
    if row["stored_name"] is None:  # its retention is over (service/qf_retention.py); the decision stays
        raise NotFound(
            "Le fichier de ce justificatif a été supprimé à la fin de sa durée de conservation.",
            code="qf_proof_file_purged",
        )
    try:
        content = await asyncio.to_thread((ctx.qf.uploads_dir / row["stored_name"]).read_bytes)
    except FileNotFoundError:  # the volume was not restored with the database: say so, once per read
        log.error("qf_proof_file_missing", stored_name=row["stored_name"])
        raise NotFound("Le fichier de ce justificatif est introuvable.", code="qf_proof_file_missing") from None
    return dict(row), content


async def list_proofs(ctx: Billing, state: str | None, limit: int) -> list[dict]:
    async with ctx.uow() as uow:
        return [dict(r) for r in await uow.qf_proofs.listing(state, limit)]


ALREADY_DECIDED = Conflict("Ce justificatif a déjà été traité.", code="qf_proof_decided")


async def _pending(uow: UnitOfWork, proof_id: uuid.UUID):
    """The proof, locked until the decision is written; refused unless still pending."""
    row = await uow.qf_proofs.get(proof_id, lock=True)
    if row is None:
        raise UNKNOWN_PROOF
    if row["state"] != "pending":
        raise ALREADY_DECIDED
    return row


async def accept_proof(
    ctx: Billing, who: Identity, proof_id: uuid.UUID, *, value: int, valid_from: date | None, valid_to: date | None
) -> tuple[dict, QuotientFamilial]:
    """Accept the proof: a validated QF (by default for its campaign's period) is recorded."""
    async with ctx.uow() as uow:
        row = await _pending(uow, proof_id)
        start, end = campaign_period(row["year"])
        qf = QuotientFamilial(
            value, valid_from or start, valid_to or end, QfProof(row["kind"]), QfState.PENDING, id=uuid.uuid4()
        )
        qf = await record_qf(ctx, uow, who, row["dossier_id"], qf, validated=True)
        await uow.qf_proofs.decide(proof_id, state="accepted", reason=None, qf_id=qf.id, by=who.user_id, at=ctx.now())
        row = await uow.qf_proofs.get(proof_id)
        await uow.commit()
    return dict(row), qf


async def reject_proof(ctx: Billing, who: Identity, proof_id: uuid.UUID, *, reason: str) -> dict:
    async with ctx.uow() as uow:
        row = await _pending(uow, proof_id)
        await uow.qf_proofs.decide(proof_id, state="rejected", reason=reason, qf_id=None, by=who.user_id, at=ctx.now())
        await uow.publish(
            QfProofRejected(proof_id=proof_id, dossier_id=row["dossier_id"], year=row["year"], reason=reason)
        )
        row = await uow.qf_proofs.get(proof_id)
        await uow.commit()
    return dict(row)
