"""« Renvoyer l'e-mail »: a new activation link for a pending account, asked by its address.

The answer never tells whether the address belongs to an account: it is 202 either way,
and the throttle that may answer 429 counts the address typed and the client whether an
account uses the address or not. Past its own cap, a pending account gets nothing more,
silently (the same 202).
"""

from __future__ import annotations

import structlog

from .. import events
from ..domain import throttle
from ..domain.audit import Actor
from ..domain.errors import TooManyActivationResends
from ..store.attempts import RESEND_ACCOUNT, RESEND_CLIENT, RESEND_EMAIL
from .common import issue_activation_link
from .deps import Accounts

log = structlog.get_logger(__name__)


async def resend_activation(acc: Accounts, email: str, *, client: str) -> int:
    """Send a new link to each pending account with this address; returns how many were
    sent (for tests and logs, never for the answer). Older links stop working."""
    now = acc.now()
    limits = acc.limits
    since = limits.window_start(now)
    email_key = email.casefold()
    sent = 0
    async with acc.uow() as uow:
        await uow.attempts.lock(f"resend:{client}")
        waits = [
            throttle.window_retry_after(
                await uow.attempts.nth_most_recent(RESEND_EMAIL, email_key, since, limits.resend_per_email), now, limits
            ),
            throttle.window_retry_after(
                await uow.attempts.nth_most_recent(RESEND_CLIENT, client, since, limits.resend_per_client), now, limits
            ),
        ]
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            log.info("activation_resend_throttled")
            raise TooManyActivationResends(retry_after=wait)
        await uow.attempts.record(RESEND_EMAIL, email_key, now)
        await uow.attempts.record(RESEND_CLIENT, client, now)
        for user in await uow.users.pending_by_email(email):
            account = str(user["id"])
            by_account, _ = await uow.attempts.count_and_last(
                RESEND_ACCOUNT, account, now - throttle.RESEND_ACCOUNT_WINDOW
            )
            if by_account >= limits.resend_per_account_per_day:
                log.info("activation_resend_capped", user_id=account)
                continue
            await uow.attempts.record(RESEND_ACCOUNT, account, now)
            await issue_activation_link(uow, user, events.UserActivationResent, now)
            await uow.audit.write(
                at=now,
                actor=Actor(user["id"], "parent"),
                entity="user",
                entity_id=user["id"],
                action="activation_resent",
                dossier_id=user["dossier_id"],
            )
            sent += 1
            log.info("activation_resent", user_id=account, by="holder")
        await uow.commit()
    return sent
