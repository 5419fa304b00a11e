"""Retention of the QF proofs' files (docs/billing.md « Retention of QF proofs »).

A proof (a tax notice, a CAF certificate) is personal data collected for one purpose: staff
checking the family's QF. Once staff have decided, the decision (the validated QF, or the
reason for a refusal), who made it and when are what the town keeps; the file itself is kept
``BILLING_QF_PROOF_RETENTION_DAYS`` (90 by default) after the decision, long enough for a
parent to contest it, then :func:`purge_expired_proofs` deletes it and blanks its stored name
(``purged_at`` says when). A proof still waiting for review is never purged.

Run by the billing app every ``BILLING_QF_PROOF_PURGE_POLL_SECONDS`` (app.py), like the
other billing jobs. The files are deleted inside the transaction that blanks their names: a
round that fails before its commit leaves rows whose file may be gone already, and the next
round deletes them again (a missing file is fine) and commits.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ..domain.qf import proof_purge_cutoff
from .deps import Billing

PURGE_BATCH = 200


def _delete(directory: Path, names: list[str]) -> None:
    for name in names:
        (directory / name).unlink(missing_ok=True)


async def purge_expired_proofs(ctx: Billing, batch: int = PURGE_BATCH) -> int:
    """Delete the files of the proofs decided more than the retention ago → how many."""
    cutoff = proof_purge_cutoff(ctx.now(), ctx.qf.proof_retention_days)
    purged = 0
    while True:
        async with ctx.uow() as uow:
            rows = await uow.qf_proofs.to_purge(cutoff, batch)
            if not rows:
                return purged
            await asyncio.to_thread(_delete, ctx.qf.uploads_dir, [r["stored_name"] for r in rows])
            await uow.qf_proofs.mark_purged([r["id"] for r in rows], ctx.now())
            await uow.commit()
        purged += len(rows)
        if len(rows) < batch:
            return purged
