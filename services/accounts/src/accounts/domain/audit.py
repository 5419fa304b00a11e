"""Who changed what in a family file: the actor and the fields that actually changed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

ActorKind = Literal["parent", "staff", "system"]


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None
    kind: ActorKind


SYSTEM = Actor(None, "system")


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys of ``after`` whose value differs from ``before``: (old values, new values)."""
    old, new = {}, {}
    for key, value in after.items():
        if before.get(key) != value:
            old[key] = before.get(key)
            new[key] = value
    return old, new
