"""Tax attestations (parents ask, staff approve) and the QF card's download."""

from __future__ import annotations

from aiohttp import web
from servicekit.files import download_response
from servicekit.identity import require_identity
from servicekit.openapi import Route
from servicekit.requests import path_uuid, read_json, read_query

from . import qf_schemas as s
from .admin_api import ADMIN, STAFF
from .api import PARENT
from .service import attestations, qf_documents
from .web import STAFF_ROLE, billing, family, json_model, staff


def _model(row: dict, model):
    return model.model_validate({k: v for k, v in row.items() if k in model.model_fields})


async def request_attestation(request: web.Request) -> web.Response:
    dossier_id = family(request)
    cmd = await read_json(request, s.AttestationRequestIn)
    row = await attestations.request_attestation(billing(request), require_identity(request), dossier_id, cmd.year)
    return json_model(_model(row, s.AttestationRequestOut), status=201)


async def my_requests(request: web.Request) -> web.Response:
    rows = await attestations.list_requests(billing(request), dossier_id=family(request))
    return json_model(s.AttestationRequestList(requests=[_model(r, s.AttestationRequestOut) for r in rows]))


async def qf_card(request: web.Request) -> web.Response:
    _, pdf = await qf_documents.current_card(billing(request), family(request))
    return download_response(pdf, "application/pdf", "carte-quotient-familial.pdf")


async def staff_requests(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, s.AttestationRequestsQuery)
    rows = await attestations.list_requests(billing(request), state=query.state)
    return json_model(s.StaffAttestationRequestList(requests=[_model(r, s.StaffAttestationRequestOut) for r in rows]))


async def approve(request: web.Request) -> web.Response:
    who = staff(request)
    row = await attestations.approve(billing(request), who, path_uuid(request))
    return json_model(_model(row, s.StaffAttestationRequestOut))


def _staff(method, path, handler, summary, **kwargs) -> Route:
    return Route(method, ADMIN + path, handler, summary, "Billing staff", roles=(STAFF_ROLE,), access=STAFF, **kwargs)


ROUTES = (
    Route("POST", "/api/billing/attestation-requests", request_attestation,
          "Ask for the tax attestation (childcare expenses) of a past year", "Billing",
          body=s.AttestationRequestIn, response=s.AttestationRequestOut, status=201, errors=(403, 404, 409),
          access=PARENT,
          description="One request per year (409 `attestation_already_requested` after); staff approve it and the "
          "attestation then appears in the family's documents, with a « document disponible » e-mail."),
    Route("GET", "/api/billing/attestation-requests", my_requests, "The family's attestation requests", "Billing",
          response=s.AttestationRequestList, errors=(403,), access=PARENT),
    Route("GET", "/api/billing/qf/card.pdf", qf_card, "The family's QF card (the QF valid today) as PDF", "Billing",
          download=("application/pdf",), errors=(403, 404), access=PARENT,
          description="404 `qf_card_unavailable` when no validated QF covers today."),
    _staff("GET", "/attestation-requests", staff_requests, "Tax-attestation requests, oldest first (filter: state)",
           query=s.AttestationRequestsQuery, response=s.StaffAttestationRequestList, errors=(422,)),
    _staff("POST", "/attestation-requests/{id}/approve", approve,
           "Approve a request: the attestation PDF is made, kept, and the family told",
           response=s.StaffAttestationRequestOut, errors=(404, 409),
           description="Amounts: what the family paid in that calendar year (Paris time) for each child under 6 on "
           "1 January, meals (the canteen) excluded; days cancelled since (credited) left out."),
)  # fmt: skip
