"""What the use cases need, given by the composition root: the pool, the RPC client, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from servicekit.rpc import RpcClient

from ..domain.basket import DEFAULT_HOLD_MINUTES


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Planning:
    pool: asyncpg.Pool
    rpc: RpcClient | None = None
    clock: Callable[[], datetime] = field(default=utc_now)
    hold_minutes: int = DEFAULT_HOLD_MINUTES
    payment_return_url: str = "/planning"

    def now(self) -> datetime:
        return self.clock()
