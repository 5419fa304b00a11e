"""Baskets and their lines. ``save`` is an optimistic check: it writes only if the row still
has the version the basket was read with (someone else's change in between → False)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from ..domain import Basket, BasketStatus, Closure, DayRef

ACTIVE = ("open", "checking_out")


class Baskets:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def active(self, dossier_id: UUID, *, lock: bool = False) -> Basket | None:
        row = await self.conn.fetchrow(
            f"SELECT * FROM baskets WHERE dossier_id = $1 AND status = ANY($2::text[]){' FOR UPDATE' if lock else ''}",
            dossier_id,
            list(ACTIVE),
        )
        return await self._basket(row) if row else None

    async def get(self, basket_id: UUID, *, lock: bool = False) -> Basket | None:
        row = await self.conn.fetchrow(f"SELECT * FROM baskets WHERE id = $1{' FOR UPDATE' if lock else ''}", basket_id)
        return await self._basket(row) if row else None

    async def touched_by(self, closure: Closure) -> list[Basket]:
        """The active baskets with a line on the closure's dates, locked in id order."""
        rows = await self.conn.fetch(
            """
            SELECT * FROM baskets WHERE status = ANY($4::text[]) AND id IN (
                SELECT basket_id FROM basket_lines
                WHERE day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR activity_id = $3))
            ORDER BY id FOR UPDATE
            """,
            closure.period.start,
            closure.period.end,
            closure.activity_id,
            list(ACTIVE),
        )
        return [await self._basket(row) for row in rows]

    async def row(self, basket_id: UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM baskets WHERE id = $1", basket_id)

    async def create(self, basket_id: UUID, dossier_id: UUID) -> bool:
        """An empty open basket (version 0); False when the family already has an active one."""
        return bool(
            await self.conn.fetchval(
                "INSERT INTO baskets (id, dossier_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
                basket_id,
                dossier_id,
            )
        )

    async def open_for(self, dossier_id: UUID, *, lock: bool = False) -> Basket:
        """The family's active basket, made (empty, open) when it has none."""
        basket = await self.active(dossier_id, lock=lock)
        if basket is not None:
            return basket
        await self.create(uuid.uuid4(), dossier_id)
        return await self.active(dossier_id, lock=lock)

    async def amounts(self, basket_id: UUID) -> dict[DayRef, int | None]:
        rows = await self.conn.fetch(
            "SELECT child_id, activity_id, day, amount_cents FROM basket_lines WHERE basket_id = $1", basket_id
        )
        return {DayRef(r["child_id"], r["activity_id"], r["day"]): r["amount_cents"] for r in rows}

    async def save(
        self, basket: Basket, read_version: int, *, amounts: dict[DayRef, int] | None = None, **extra
    ) -> bool:
        """Write status, hold and lines; False when the basket changed since ``read_version``.
        ``extra``: payment columns (payment_id, payment_status, payment_url, amount_cents, release_reason)."""
        sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(extra, start=9))
        done = await self.conn.fetchval(
            f"""
            UPDATE baskets SET status = $3, version = $4, checkout_id = $5, checked_out_at = $6, expires_at = $7,
                   payment_id = coalesce($8, payment_id), updated_at = now(){", " + sets if sets else ""}
            WHERE id = $1 AND version = $2 RETURNING true
            """,
            basket.id,
            read_version,
            basket.status.value,
            basket.version,
            basket.checkout_id,
            basket.checked_out_at,
            basket.expires_at,
            basket.payment_id if isinstance(basket.payment_id, UUID) else None,
            *extra.values(),
        )
        if not done:
            return False
        known = await self.amounts(basket.id)
        amounts = amounts or {}
        gone = [ref for ref in known if ref not in basket.lines]
        if gone:
            await self.conn.executemany(
                "DELETE FROM basket_lines WHERE basket_id = $1 AND child_id = $2 AND activity_id = $3 AND day = $4",
                [(basket.id, r.child_id, r.activity_id, r.day) for r in gone],
            )
        await self.conn.executemany(
            """
            INSERT INTO basket_lines (basket_id, child_id, activity_id, day, change, amount_cents)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (basket_id, child_id, activity_id, day)
            DO UPDATE SET change = $5, amount_cents = coalesce($6, basket_lines.amount_cents)
            """,
            [
                (basket.id, r.child_id, r.activity_id, r.day, change, amounts.get(r, known.get(r)))
                for r, change in basket.lines.items()
            ],
        )
        return True

    async def record_payment(self, basket_id: UUID, **columns) -> None:
        """billing's answer to create_payment: payment_id, payment_status, payment_url, amount_cents."""
        sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=2))
        await self.conn.execute(
            f"UPDATE baskets SET {sets}, updated_at = now() WHERE id = $1", basket_id, *columns.values()
        )

    async def expired(self, now, limit: int = 100) -> list[UUID]:
        rows = await self.conn.fetch(
            "SELECT id FROM baskets WHERE status = 'checking_out' AND expires_at <= $1 "
            "ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED",
            now,
            limit,
        )
        return [r["id"] for r in rows]

    async def _basket(self, row: asyncpg.Record) -> Basket:
        lines = await self.conn.fetch(
            "SELECT child_id, activity_id, day, change FROM basket_lines WHERE basket_id = $1", row["id"]
        )
        return basket_of(row, lines)


def basket_of(row: Mapping[str, Any], lines: Iterable[Sequence[Any]], *, prefix: str = "") -> Basket:
    """A basket from its row (its columns named ``prefix`` + column) and its lines
    ``(child_id, activity_id, day, change)``."""
    return Basket(
        id=row[prefix + "id"],
        family_id=row[prefix + "dossier_id"],
        status=BasketStatus(row[prefix + "status"]),
        lines={DayRef(child_id, activity_id, day): change for child_id, activity_id, day, change in lines},
        checked_out_at=row[prefix + "checked_out_at"],
        expires_at=row[prefix + "expires_at"],
        payment_id=row[prefix + "payment_id"],
        version=row[prefix + "version"],
        checkout_id=row[prefix + "checkout_id"],
    )
