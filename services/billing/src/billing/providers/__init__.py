"""Payment providers behind one interface: the simulated Treasury and PayFiP.

A provider opens an operation for a payment (``start`` → the operation's id and the page the
parent pays on) and says what became of it (``result``), asking the provider itself: a
notification only tells billing *which* operation to ask about, never its outcome.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class StartedOperation:
    idop: str
    payment_url: str


@dataclass(frozen=True)
class OperationResult:
    idop: str
    state: Literal["paid", "refused", "pending", "unknown"]
    amount_cents: int | None
    refdet: str | None
    transaction_id: str | None = None


class PaymentProvider(Protocol):
    name: str  # "simulated" | "payfip"

    async def start(
        self,
        *,
        payment_id: uuid.UUID,
        refdet: str,
        amount_cents: int,
        email: str | None,
        return_url: str,
        notification_url: str,
    ) -> StartedOperation: ...

    async def result(self, idop: str) -> OperationResult: ...
