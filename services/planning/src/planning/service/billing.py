"""billing over request/reply (docs/saga.md): ``billing.quote`` and ``billing.create_payment``.

Billing prices every line itself; planning only says who, what, when and which way. Any
failure (no billing, timeout, an error) is a clear French 503 to the parent, except
``unknown_activity`` (no tariff yet), a 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from servicekit.rpc import RpcError

from .deps import Planning
from .errors import PAYMENT_UNAVAILABLE, QUOTE_UNAVAILABLE, BillingUnavailable, NoTariff

log = structlog.get_logger(__name__)


def line(child_id: UUID, activity_id: UUID, day, change: str, label: str) -> dict[str, str]:
    return {
        "child_id": str(child_id),
        "activity_id": str(activity_id),
        "date": day.isoformat(),
        "change": change,
        "label": label,
    }


async def _call(p: Planning, method: str, params: dict[str, Any], unavailable: str) -> dict[str, Any]:
    if p.rpc is None:
        raise BillingUnavailable(title=unavailable)
    try:
        result = await p.rpc.call("billing", method, params)
    except RpcError as exc:
        log.warning("billing_call_failed", method=method, error=exc.error_type)
        if exc.error_type == "unknown_activity":
            raise NoTariff() from None
        raise BillingUnavailable(title=unavailable) from None
    if not isinstance(result, dict):
        log.warning("billing_answer_malformed", method=method)
        raise BillingUnavailable(title=unavailable)
    return result


async def quote(p: Planning, dossier_id: UUID, lines: list[dict[str, str]]) -> dict[str, Any]:
    """``{"lines": [... "amount_cents"], "total_cents", "credit_available_cents", "to_pay_cents"}``."""
    if not lines:
        return {"lines": [], "total_cents": 0, "credit_available_cents": 0, "to_pay_cents": 0}
    return await _call(p, "quote", {"dossier_id": str(dossier_id), "lines": lines}, QUOTE_UNAVAILABLE)


async def create_payment(
    p: Planning, dossier_id: UUID, basket_id: UUID, checkout_id: UUID, expires_at: datetime, lines: list[dict[str, str]]
) -> dict[str, Any]:
    """``{"payment_id", "status": "pending", "payment_url", ...}`` or ``{"payment_id", "status": "covered", ...}``."""
    params = {
        "dossier_id": str(dossier_id),
        "basket_id": str(basket_id),
        "checkout_id": str(checkout_id),
        "expires_at": expires_at.isoformat(),
        "lines": lines,
        "return_url": p.payment_return_url,
    }
    result = await _call(p, "create_payment", params, PAYMENT_UNAVAILABLE)
    if result.get("status") not in ("pending", "covered") or "payment_id" not in result:
        log.warning("billing_payment_answer_malformed")
        raise BillingUnavailable()
    return result
