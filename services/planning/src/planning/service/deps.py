"""What the use cases need, given by the composition root: the pool, the RPC client, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from servicekit.rpc import RpcClient

from ..domain.basket import DEFAULT_HOLD_MINUTES
from .reads import StaffRules


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Planning:
    pool: asyncpg.Pool
    rpc: RpcClient | None = None
    clock: Callable[[], datetime] = field(default=utc_now)
    hold_minutes: int = DEFAULT_HOLD_MINUTES
    payment_return_url: str = "/planning"
    # What staff configure, kept by the process between reads (the app gives its one).
    staff_rules: StaffRules = field(default_factory=StaffRules)

    def now(self) -> datetime:
        return self.clock()
