"""The school year a date belongs to (French calendar: September to early July)."""

from __future__ import annotations

from datetime import date


def school_year_of(day: date) -> tuple[int, int]:
    """``2026-11-27`` → ``(2026, 2027)``; ``2027-03-01`` → ``(2026, 2027)``."""
    first = day.year if day.month >= 8 else day.year - 1
    return first, first + 1


def school_year_label(day: date) -> str:
    first, second = school_year_of(day)
    return f"{first}/{second}"
