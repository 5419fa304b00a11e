"""What every use case works with: the pool, the password hasher, the clock, the cursors."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from servicekit.pagination import CursorCodec

from ..domain import throttle
from ..passwords import verify_password
from ..store import UnitOfWork

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


# argon2id at the production profile holds 64 MiB per hash for ~50 ms: a burst of logins
# must queue rather than take the machine's memory, and must not block the event loop.
HASH_SLOTS = 4


@dataclass
class Accounts:
    pool: asyncpg.Pool
    hasher: PasswordHasher
    clock: Clock = system_clock
    # The app passes the service's codec (keyed by IDENTITY_SECRET, the same in every
    # replica); a process that never pages, like the demonstration loader, needs none.
    limits: throttle.Limits = field(default_factory=throttle.Limits)
    cursors: CursorCodec = field(default_factory=lambda: CursorCodec(secrets.token_bytes(32)))
    _slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(HASH_SLOTS))
    _dummy_hash: str | None = None

    def now(self) -> datetime:
        return self.clock()

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.pool)

    async def hash_password(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self.hasher.hash, password)

    async def verify_password(self, stored_hash: str | None, password: str) -> bool:
        """Verify against the stored hash, or against a dummy one when there is none, so
        that an unknown username costs the same time as a wrong password."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash_password(secrets.token_urlsafe(16))
        target = stored_hash or self._dummy_hash
        async with self._slots:
            ok = await asyncio.to_thread(verify_password, self.hasher, target, password)
        return ok and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:  # an unparsable hash is replaced at the next successful login
            return True
