"""The integration events messaging publishes (v1): docs/events.md is generated from them.

Frozen models that forbid extra fields: what a consumer may rely on is what is written
here. Each class carries its ``type`` and ``version``; the docstring says who consumes it.
No message text travels: a consumer that needs it asks messaging.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field
from servicekit.events import IntegrationEvent

SOURCE = "messaging"


class MessageReceived(IntegrationEvent):
    """A parent wrote to the town: a new thread or « Répondre ». (No consumer yet: statistics, staff alerts.)"""

    type = "messaging.message.received"
    version = 1

    thread_id: UUID
    message_id: UUID
    theme_id: UUID
    dossier_id: UUID | None = Field(description="The parent's family file, if they have one.")


class ReplySent(IntegrationEvent):
    """Staff answered a parent's thread. (No consumer yet.)"""

    type = "messaging.reply.sent"
    version = 1

    thread_id: UUID
    message_id: UUID
    dossier_id: UUID | None = Field(description="The parent's family file, if they have one.")
    user_id: UUID = Field(description="The parent who started the thread.")


# The catalogue (servicekit.catalogue) reads this.
EVENTS = (MessageReceived, ReplySent)
