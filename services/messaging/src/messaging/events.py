"""The integration events messaging publishes (v1), see docs/events.md."""

from __future__ import annotations

from uuid import UUID

from servicekit.events import EventData

SOURCE = "messaging"

MESSAGE_RECEIVED = "messaging.message.received"
REPLY_SENT = "messaging.reply.sent"


class MessageReceived(EventData):
    """A parent wrote: a new thread or « Répondre »."""

    thread_id: UUID
    message_id: UUID
    theme_id: UUID
    dossier_id: UUID | None


class ReplySent(EventData):
    """Staff answered a parent's thread."""

    thread_id: UUID
    message_id: UUID
    dossier_id: UUID | None
    user_id: UUID
