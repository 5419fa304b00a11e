"""How the booking e-mails lay out days: per child, then per activity, in order."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Protocol

# What an e-mail prints for a child or an activity messaging has not heard of (yet).
UNKNOWN_CHILD = "Votre enfant"
UNKNOWN_ACTIVITY = "Activité"


class Day(Protocol):
    child_id: uuid.UUID
    activity_id: uuid.UUID
    date: date


def days_by_child(
    days: Iterable[Day], first_names: Mapping[uuid.UUID, str], activity_names: Mapping[uuid.UUID, str]
) -> list[dict[str, Any]]:
    """``[{first_name, activities: [{name, days: [date, ...]}]}]``, sorted, each day once."""
    booked: dict[uuid.UUID, dict[uuid.UUID, set[date]]] = defaultdict(lambda: defaultdict(set))
    for day in days:
        booked[day.child_id][day.activity_id].add(day.date)
    children = [
        {
            "first_name": first_names.get(child_id, UNKNOWN_CHILD),
            "activities": sorted(
                (
                    {"name": activity_names.get(activity_id, UNKNOWN_ACTIVITY), "days": sorted(dates)}
                    for activity_id, dates in activities.items()
                ),
                key=lambda a: a["name"],
            ),
        }
        for child_id, activities in booked.items()
    ]
    return sorted(children, key=lambda c: c["first_name"])
