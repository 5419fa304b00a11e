"""The town's own settings: its name and the terms of use parents accept."""

from __future__ import annotations

import structlog

from .deps import Accounts

log = structlog.get_logger(__name__)


async def set_town(acc: Accounts, name: str, insee_code: str | None) -> bool:
    """Name the town this deployment serves, once; False when it is already set."""
    async with acc.uow() as uow:
        created = await uow.reference.set_town(name, insee_code)
        await uow.commit()
    return created


async def publish_terms(acc: Accounts, version: str, text: str) -> bool:
    """Publish a version of the terms of use (the newest is current); a published version
    is never rewritten: False when ``version`` exists."""
    async with acc.uow() as uow:
        created = await uow.reference.publish_terms(version, text, acc.now())
        await uow.commit()
    if created:
        log.info("terms_published", version=version)
    return created
