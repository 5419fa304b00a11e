"""Parents' QF proofs (the rows; the files live under BILLING_UPLOADS_DIR) and the campaigns."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from billing.domain.qf import QfCampaign


class QfProofs:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(
        self,
        *,
        proof_id: uuid.UUID,
        dossier_id: uuid.UUID,
        kind: str,
        year: int,
        content_type: str,
        size_bytes: int,
        sha256: str,
        stored_name: str,
        by: uuid.UUID | None,
        at: datetime,
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO qf_proofs (id, dossier_id, kind, year, content_type, size_bytes, sha256, stored_name,
                                   state, uploaded_by, uploaded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10)
            """,
            proof_id,
            dossier_id,
            kind,
            year,
            content_type,
            size_bytes,
            sha256,
            stored_name,
            by,
            at,
        )

    async def get(self, proof_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM qf_proofs WHERE id = $1" + (" FOR UPDATE" if lock else ""), proof_id
        )

    async def decide(
        self,
        proof_id: uuid.UUID,
        *,
        state: str,
        reason: str | None,
        qf_id: uuid.UUID | None,
        by: uuid.UUID,
        at: datetime,
    ) -> None:
        await self.conn.execute(
            "UPDATE qf_proofs SET state = $2, reject_reason = $3, qf_id = $4, decided_by = $5, decided_at = $6 "
            "WHERE id = $1",
            proof_id,
            state,
            reason,
            qf_id,
            by,
            at,
        )

    async def to_purge(self, decided_before: datetime, limit: int) -> list[asyncpg.Record]:
        """Decided proofs that still have a file, decided at or before ``decided_before``, locked
        (SKIP LOCKED: two purge rounds at once share the work)."""
        return await self.conn.fetch(
            "SELECT id, stored_name FROM qf_proofs WHERE stored_name IS NOT NULL AND state <> 'pending' "
            "AND decided_at <= $1 ORDER BY decided_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
            decided_before,
            limit,
        )

    async def mark_purged(self, proof_ids: list[uuid.UUID], at: datetime) -> None:
        """The files are gone: blank their names, keep the review record (who, when, decision)."""
        await self.conn.execute(
            "UPDATE qf_proofs SET stored_name = NULL, purged_at = $2 WHERE id = ANY($1::uuid[])", proof_ids, at
        )

    async def latest(self, dossier_id: uuid.UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM qf_proofs WHERE dossier_id = $1 ORDER BY uploaded_at DESC, id LIMIT 1", dossier_id
        )

    async def listing(self, state: str | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """
            SELECT p.*, f.dossier_number, f.family_name FROM qf_proofs p
            LEFT JOIN families f ON f.dossier_id = p.dossier_id
            WHERE $1::text IS NULL OR p.state = $1
            ORDER BY p.uploaded_at, p.id LIMIT $2
            """,
            state,
            limit,
        )


class QfCampaigns:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def open(self, campaign: QfCampaign, *, by: uuid.UUID | None, at: datetime) -> bool:
        """False when that year's campaign exists already."""
        done = await self.conn.execute(
            "INSERT INTO qf_campaigns (year, ends_on, opened_at, opened_by) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (year) DO NOTHING",
            campaign.year,
            campaign.ends_on,
            at,
            by,
        )
        return done.endswith(" 1")

    async def open_on(self, day: date) -> list[QfCampaign]:
        """The campaigns families may still renew in on ``day``."""
        rows = await self.conn.fetch("SELECT year, ends_on FROM qf_campaigns WHERE ends_on >= $1 ORDER BY year", day)
        return [QfCampaign(r["year"], r["ends_on"]) for r in rows]

    async def families_to_remind(self, year: int, *, sent_before: datetime, limit: int) -> list[uuid.UUID]:
        """Families with no validated QF on the new period's first day, no proof waiting for
        review for that year, and no reminder since ``sent_before``."""
        return [
            r["dossier_id"]
            for r in await self.conn.fetch(
                """
                SELECT f.dossier_id FROM families f
                WHERE NOT EXISTS (SELECT 1 FROM qf_values q WHERE q.dossier_id = f.dossier_id
                                  AND q.state = 'validated' AND q.valid_from <= make_date($1, 2, 1)
                                  AND q.valid_to >= make_date($1, 2, 1))
                  AND NOT EXISTS (SELECT 1 FROM qf_proofs p WHERE p.dossier_id = f.dossier_id
                                  AND p.year = $1 AND p.state = 'pending')
                  AND NOT EXISTS (SELECT 1 FROM qf_campaign_reminders r WHERE r.dossier_id = f.dossier_id
                                  AND r.year = $1 AND r.last_sent_at > $2)
                ORDER BY f.dossier_id LIMIT $3
                """,
                year,
                sent_before,
                limit,
            )
        ]

    async def claim_reminder(self, year: int, dossier_id: uuid.UUID, *, at: datetime, sent_before: datetime) -> bool:
        """Record a reminder now unless one was sent since ``sent_before`` (then False)."""
        row = await self.conn.fetchrow(
            """
            INSERT INTO qf_campaign_reminders (year, dossier_id, last_sent_at) VALUES ($1, $2, $3)
            ON CONFLICT (year, dossier_id) DO UPDATE SET last_sent_at = EXCLUDED.last_sent_at,
                sent_count = qf_campaign_reminders.sent_count + 1
              WHERE qf_campaign_reminders.last_sent_at <= $4
            RETURNING 1
            """,
            year,
            dossier_id,
            at,
            sent_before,
        )
        return row is not None
