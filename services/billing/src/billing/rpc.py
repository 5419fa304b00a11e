"""Request/reply entry points for planning (docs/saga.md): ``quote`` and ``create_payment``.

Parameters are validated with billing's own models (a bad one answers ``invalid_params``);
the domain's refusals answer their code (``unknown_activity`` when an activity has no tariff,
``payment_amount_out_of_limits`` ...) with the French message as the detail, which planning
may show.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from servicekit.rpc import RpcError, RpcHandler

from .domain.errors import BillingError, InvalidInput
from .providers import ProviderUnavailable
from .service import Billing, invoice_queries
from .service import checkout as use_cases

Deps = Callable[[], Billing]


def rpc_handlers(deps: Deps) -> Mapping[str, RpcHandler]:
    async def quote(params: dict[str, Any]) -> dict:
        return await _answer(use_cases.quote_lines(deps(), use_cases.QuoteParams.model_validate(params)))

    async def create_payment(params: dict[str, Any]) -> dict:
        return await _answer(use_cases.create_payment(deps(), use_cases.CreatePaymentParams.model_validate(params)))

    async def invoice_pdf(params: dict[str, Any]) -> dict:
        """messaging's invoice e-mail: the stored PDF of an issued invoice, base64."""
        return await _answer(invoice_queries.pdf_for_mail(deps(), params))

    return {"quote": quote, "create_payment": create_payment, "invoice_pdf": invoice_pdf}


async def _answer(call) -> dict:
    try:
        return await call
    except InvalidInput as exc:
        raise RpcError("invalid_params" if exc.code == "validation_error" else exc.code, exc.message) from None
    except BillingError as exc:
        raise RpcError(exc.code, exc.message) from None
    except ProviderUnavailable:
        raise RpcError("provider_unavailable", "Le paiement en ligne est momentanément indisponible.") from None
