"""The copies the booking and payment e-mails read, kept from the producers' events.

Called by consumers.py inside the consumer's transaction (a joined unit of work), like
every event use case; each copy keeps the newest event's version.
"""

from __future__ import annotations

from ..store import UnitOfWork
from .deps import Event, Messaging


async def child_known(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """accounts.child.added / .updated: the first name the booking e-mails print."""
    await uow.children.apply(data.child_id, event.occurred_at, dossier_id=data.dossier_id, first_name=data.first_name)


async def activity_known(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """planning.activity.created / .updated: « 2026/2027 - Cantine (11h30 à 13h30) »."""
    await uow.activities.apply(data.activity_id, event.occurred_at, name=data.display_name)
