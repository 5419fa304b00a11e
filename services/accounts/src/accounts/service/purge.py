"""Housekeeping run by the clock: pending accounts past 24 h, stale rows and drafts,
expired Idempotency-Key answers.

Runs in every replica; the SQL takes rows with SKIP LOCKED, so each purged account is
reported (``accounts.user.purged``) exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog

from .. import events
from ..domain import tokens
from .deps import Accounts

log = structlog.get_logger(__name__)

KEEP_ATTEMPTS = timedelta(days=1)
KEEP_FINISHED = timedelta(days=7)


@dataclass(frozen=True)
class PurgeReport:
    users: int
    attempts: int
    idempotent_requests: int
    sessions: int
    tokens: int
    drafts: int


async def purge_expired(acc: Accounts) -> PurgeReport:
    now = acc.now()
    purged = 0
    while True:
        async with acc.uow() as uow:
            ids = await uow.users.delete_expired_pending(created_before=now - tokens.PENDING_ACCOUNT_TTL, now=now)
            for user_id in ids:
                await uow.publish(events.UserPurged(user_id=user_id))
            await uow.commit()
        for user_id in ids:
            log.info("pending_user_purged", user_id=str(user_id))
        purged += len(ids)
        if not ids:
            break
    async with acc.uow() as uow:
        attempts = await uow.attempts.delete_older_than(now - KEEP_ATTEMPTS)
        # Answers expire after servicekit's TTL (24 h); the service's clock says when "now" is.
        answers = await uow.idempotency.purge_expired(now)
        sessions = await uow.sessions.delete_finished(now - KEEP_FINISHED)
        stale_tokens = await uow.tokens.delete_stale(now - KEEP_FINISHED)
        stale_drafts = await uow.drafts.delete_expired(now)
        await uow.commit()
    report = PurgeReport(purged, attempts, answers, sessions, stale_tokens, stale_drafts)
    if any((purged, attempts, answers, sessions, stale_tokens, stale_drafts)):
        log.info(
            "purge_done",
            users=purged,
            attempts=attempts,
            idempotent_requests=answers,
            sessions=sessions,
            tokens=stale_tokens,
            drafts=stale_drafts,
        )
    return report
