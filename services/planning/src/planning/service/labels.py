"""« Arthur - 2026/2027 - Cantine (11h30 à 13h30) »: the element of a basket line, of a quote
line and of a confirmed reservation, said the same way everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from uuid import UUID

from ..domain import Activity, DayRef
from ..store import UnitOfWork
from . import billing


def element_label(first_name: str, activity: Activity) -> str:
    return f"{first_name} - {activity.display_name}"


async def element_labels(uow: UnitOfWork, refs: Iterable[DayRef]) -> dict[DayRef, str]:
    refs = list(refs)
    children = await uow.children.names(sorted({r.child_id for r in refs}))
    activities = await uow.activities.many(sorted({r.activity_id for r in refs}))
    return {
        r: element_label(children[r.child_id]["first_name"], activities[r.activity_id])
        for r in refs
        if r.child_id in children and r.activity_id in activities
    }


def quote_lines(lines: Iterable[tuple[DayRef, str]], labels: dict[DayRef, str]) -> list[dict[str, str]]:
    """``(ref, change)`` pairs as billing's request lines."""
    return [billing.line(r.child_id, r.activity_id, r.day, change, labels.get(r, "")) for r, change in lines]


def amounts_by_ref(result: dict) -> dict[DayRef, int]:
    """billing's priced lines keyed back by (child, activity, date)."""
    out: dict[DayRef, int] = {}
    for item in result.get("lines") or []:
        try:
            ref = DayRef(UUID(item["child_id"]), UUID(item["activity_id"]), date.fromisoformat(item["date"]))
            out[ref] = int(item["amount_cents"])
        except (KeyError, ValueError, TypeError):
            continue
    return out
