"""The simulated Treasury: PayFiP's behaviour on one machine, for development and tests.

Its operations live in billing's database (table ``simulated_operations``), apart from the
payments: billing reads them only through :meth:`SimulatedTreasury.result`, exactly as it asks
PayFiP's web service. The gateway's « Trésor public (simulation) » page reads an operation and
records the parent's decision through billing's internal endpoints (docs/saga.md), then posts
the notification. An idop it did not issue is ``unknown``; a decision is final (deciding twice
keeps the first one).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Literal

import asyncpg

from billing.domain.money import Money, format_cents
from billing.domain.payment_rules import PAYFIP_LIMITS

from . import OperationResult, StartedOperation

PAGE = "/simulated-treasury/"
_STATE = {"pending": "pending", "paid": "paid", "refused": "refused"}


class SimulatedTreasury:
    name = "simulated"
    pending_grace = timedelta(minutes=5)  # its answers never lag: a few minutes for the parent's last click

    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    async def start(
        self,
        *,
        payment_id: uuid.UUID,
        refdet: str,
        amount_cents: int,
        email: str | None,
        return_url: str,
        notification_url: str,
        conn: asyncpg.Connection | None = None,
    ) -> StartedOperation:
        # The same limits as PayFiP, so development refuses what production would.
        PAYFIP_LIMITS.check(Money(amount_cents))
        idop = secrets.token_hex(16)
        await (conn or self.pool).execute(
            "INSERT INTO simulated_operations (idop, payment_id, refdet, amount_cents, email, state, return_url) "
            "VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
            idop,
            payment_id,
            refdet,
            amount_cents,
            email,
            return_url,
        )
        return StartedOperation(idop=idop, payment_url=f"{PAGE}?idop={idop}")

    async def result(self, idop: str) -> OperationResult:
        row = await self.pool.fetchrow(
            "SELECT idop, state, amount_cents, refdet FROM simulated_operations WHERE idop = $1", idop
        )
        if row is None:
            return OperationResult(idop=idop, state="unknown", amount_cents=None, refdet=None)
        return OperationResult(
            idop=idop,
            state=_STATE[row["state"]],
            amount_cents=row["amount_cents"],
            refdet=row["refdet"],
            transaction_id=f"SIM-{idop[:12].upper()}" if row["state"] == "paid" else None,
        )

    # -- what the gateway's page calls (internal endpoints) ---------------------------------
    async def operation(self, idop: str) -> dict | None:
        row = await self.pool.fetchrow(
            "SELECT idop, amount_cents, refdet, state, return_url FROM simulated_operations WHERE idop = $1", idop
        )
        return None if row is None else _view(row)

    async def decide(self, idop: str, decision: Literal["pay", "refuse"]) -> dict | None:
        """Record the parent's choice; an operation already decided keeps its first decision."""
        state = "paid" if decision == "pay" else "refused"
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE simulated_operations SET state = $2, decided_at = now() WHERE idop = $1 AND state = 'pending'",
                idop,
                state,
            )
            row = await conn.fetchrow(
                "SELECT idop, amount_cents, refdet, state, return_url FROM simulated_operations WHERE idop = $1", idop
            )
        return None if row is None else _view(row)


def _view(row) -> dict:
    return {
        "idop": row["idop"],
        "amount_cents": row["amount_cents"],
        "amount": format_cents(row["amount_cents"]),
        "reference": row["refdet"],
        "state": row["state"],
        "return_url": row["return_url"],
    }
