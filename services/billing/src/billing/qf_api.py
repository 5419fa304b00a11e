"""The QF campaign's HTTP entry points: parents' proofs and QF page, staff review and campaigns."""

from __future__ import annotations

from aiohttp import web
from servicekit.files import download_response
from servicekit.identity import require_identity
from servicekit.openapi import FileField, Route
from servicekit.requests import path_uuid, read_command, read_json, read_query

from . import qf_schemas as s
from .admin_api import ADMIN, STAFF
from .api import PARENT
from .domain.qf import QfCampaign
from .service import campaign, qf_proofs
from .service.queries import qf_out
from .web import STAFF_ROLE, billing, family, json_model, staff

PROOF_TYPES = ("application/pdf", "image/jpeg", "image/png")


def _proof(row: dict, model=s.ProofOut):
    return model.model_validate({k: v for k, v in row.items() if k in model.model_fields})


def _campaign(found: QfCampaign | None) -> s.CampaignOut | None:
    if found is None:
        return None
    return s.CampaignOut(year=found.year, starts_on=found.starts_on, ends_on=found.ends_on)


async def upload_proof(request: web.Request) -> web.Response:
    dossier_id = family(request)
    ctx = billing(request)
    max_bytes = ctx.qf.proof_max_bytes
    cmd, upload = await read_command(
        request,
        s.ProofIn,
        file_field="file",
        max_file_bytes=max_bytes,
        too_large=lambda: qf_proofs.too_large(max_bytes),
    )
    identity = require_identity(request)
    row = await qf_proofs.upload_proof(ctx, identity, dossier_id, kind=cmd.kind, year=cmd.year, upload=upload)
    return json_model(_proof(row), status=201)


async def family_qf(request: web.Request) -> web.Response:
    page = await campaign.family_qf(billing(request), family(request))
    return json_model(
        s.FamilyQf(
            qf=qf_out(page["qf"]) if page["qf"] else None,
            in_grace=page["in_grace"],
            latest_proof=_proof(page["proof"]) if page["proof"] else None,
            campaign=_campaign(page["campaign"]),
            needs_renewal=page["needs_renewal"],
        )
    )


async def list_proofs(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, s.ProofsQuery)
    rows = await qf_proofs.list_proofs(billing(request), query.state, query.limit)
    return json_model(s.StaffProofList(proofs=[_proof(r, s.StaffProofOut) for r in rows]))


async def proof_file(request: web.Request) -> web.Response:
    staff(request)
    row, content = await qf_proofs.proof_file(billing(request), path_uuid(request))
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[row["content_type"]]
    return download_response(content, row["content_type"], f"justificatif-{row['id']}.{extension}")


async def accept_proof(request: web.Request) -> web.Response:
    who = staff(request)
    cmd = await read_json(request, s.AcceptProofIn)
    row, qf = await qf_proofs.accept_proof(
        billing(request), who, path_uuid(request), value=cmd.value, valid_from=cmd.valid_from, valid_to=cmd.valid_to
    )
    return json_model(s.AcceptedProof(proof=_proof(row, s.StaffProofOut), qf=qf_out(qf)))


async def reject_proof(request: web.Request) -> web.Response:
    who = staff(request)
    cmd = await read_json(request, s.RejectProofIn)
    row = await qf_proofs.reject_proof(billing(request), who, path_uuid(request), reason=cmd.reason)
    return json_model(_proof(row, s.StaffProofOut))


async def open_campaign(request: web.Request) -> web.Response:
    who = staff(request)
    cmd = await read_json(request, s.CampaignIn)
    found = await campaign.open_campaign(billing(request), who, year=cmd.year, ends_on=cmd.ends_on)
    return json_model(_campaign(found), status=201)


def _staff(method, path, handler, summary, **kwargs) -> Route:
    return Route(method, ADMIN + path, handler, summary, "Billing staff", roles=(STAFF_ROLE,), access=STAFF, **kwargs)


ROUTES = (
    Route("POST", "/api/billing/qf-proofs", upload_proof, "Send a QF proof (avis d'imposition or attestation CAF)",
          "Billing", body=s.ProofIn, response=s.ProofOut, status=201, errors=(403, 404, 413, 503),
          multipart=FileField("file", "PDF, JPEG or PNG, checked from its content; BILLING_PROOF_MAX_BYTES at most",
                              PROOF_TYPES),
          access=PARENT,
          description="multipart/form-data with `kind`, `year` and the `file`. Refused: a file that is not a PDF, "
          "JPEG or PNG by its content (an HTML page named .pdf, a polyglot) → 415; too large → 413; empty or "
          "missing → 422; flagged by the virus scan → 422; scanner unavailable → 503."),
    Route("GET", "/api/billing/qf", family_qf, "The family's QF: the one pricing today, the latest proof, the campaign",
          "Billing", response=s.FamilyQf, errors=(403,), access=PARENT),
    _staff("GET", "/qf-proofs", list_proofs, "QF proofs, oldest first (filter: state)", query=s.ProofsQuery,
           response=s.StaffProofList, errors=(422,)),
    _staff("GET", "/qf-proofs/{id}/file", proof_file, "A proof's file", download=PROOF_TYPES, errors=(404,)),
    _staff("POST", "/qf-proofs/{id}/accept", accept_proof, "Accept a proof: records the family's validated QF",
           body=s.AcceptProofIn, response=s.AcceptedProof, errors=(404, 409),
           description="The QF is valid by default for the proof's campaign period (1 February to 31 January); "
           "409 when the proof was decided already or the period overlaps a validated QF."),
    _staff("POST", "/qf-proofs/{id}/reject", reject_proof, "Reject a proof, with the reason the family reads",
           body=s.RejectProofIn, response=s.StaffProofOut, errors=(404, 409)),
    _staff("POST", "/qf-campaigns", open_campaign, "Open the February QF campaign of a year, with its end date",
           body=s.CampaignIn, response=s.CampaignOut, status=201, errors=(409,),
           description="Until `ends_on` families that have not renewed keep their previous QF and are reminded "
           "weekly; from the day after they pay the highest tariff."),
)  # fmt: skip
