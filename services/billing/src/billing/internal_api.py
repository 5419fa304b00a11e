"""For the gateway only (never proxied under /api): the simulated Treasury's operations, which
its « Trésor public (simulation) » page shows and decides (docs/saga.md). They exist only while
the simulated provider is in use; with PayFiP they answer 404."""

from __future__ import annotations

from aiohttp import web
from servicekit.openapi import Param, Route
from servicekit.problems import Problem
from servicekit.requests import read_json

from . import schemas
from .providers.simulated import SimulatedTreasury
from .web import billing, json_model

OPERATIONS = "/internal/simulated-treasury/operations/{idop}"
IDOP = Param("idop", "the operation's id, as the payment page's URL gives it (an unknown one: 404)")


def _treasury(request: web.Request) -> SimulatedTreasury:
    provider = billing(request).provider
    if not isinstance(provider, SimulatedTreasury):
        raise Problem(404, "not_found", "Cette opération n'existe pas.")
    return provider


def _found(operation: dict | None) -> web.Response:
    if operation is None:
        raise Problem(404, "operation_unknown", "Cette opération de paiement n'existe pas.")
    return json_model(schemas.OperationOut(**operation), status=200)


async def get_operation(request: web.Request) -> web.Response:
    return _found(await _treasury(request).operation(request.match_info["idop"]))


async def decide_operation(request: web.Request) -> web.Response:
    treasury = _treasury(request)
    cmd = await read_json(request, schemas.DecisionIn)
    return _found(await treasury.decide(request.match_info["idop"], cmd.decision))


ROUTES = (
    Route(
        "GET",
        OPERATIONS,
        get_operation,
        "A simulated Treasury operation",
        "Internal",
        path_params=(IDOP,),
        response=schemas.OperationOut,
        errors=(404,),
        public=True,
    ),
    Route(
        "POST",
        OPERATIONS + "/decision",
        decide_operation,
        "Pay or refuse a simulated operation (the first decision stays)",
        "Internal",
        body=schemas.DecisionIn,
        path_params=(IDOP,),
        response=schemas.OperationOut,
        errors=(404,),
        public=True,
    ),
)
