"""Dates, months and money as a French parent reads them (Babel, Europe/Paris).

Babel formats a date in ~10 µs (its locale and pattern looked up every time): the day and
month names, which a page shows by the dozen (the « Planning » grid: one per column and
two per cell) and which never change, are formatted once per process and kept.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

PARIS = ZoneInfo("Europe/Paris")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
WEEKDAY_ABBREVIATIONS = ("Lu", "Ma", "Me", "Je", "Ve", "Sa", "Di")  # as the guide's grid heads its columns


def parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def parse_moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _first(text: str) -> str:
    # French writes the first of the month as an ordinal: « 1er décembre ».
    return re.sub(r"(^|\s)1(\s)", r"\g<1>1er\2", text, count=1)


@lru_cache(maxsize=4096)  # a few school years of days
def long_day(day: date) -> str:
    """« mardi 1er décembre »."""
    return _first(format_date(day, "EEEE d MMMM", locale="fr_FR"))


def short_date(value: Any) -> str:
    """« 09/01/2027 », as the basket's « Date » column."""
    day = parse_date(value)
    return day.strftime("%d/%m/%Y") if day else ""


def long_date(value: Any) -> str:
    """« 6 décembre 2026 »."""
    day = parse_date(value)
    return _first(format_date(day, "d MMMM y", locale="fr_FR")) if day else ""


@lru_cache(maxsize=1024)
def month_label(month: str) -> str:
    """``2026-12`` → « Décembre 2026 »."""
    match = MONTH.match(month)
    if not match:
        return month
    text = format_date(date(int(match[1]), int(match[2]), 1), "LLLL y", locale="fr_FR")
    return text[:1].upper() + text[1:]


def current_month() -> str:
    return datetime.now(PARIS).strftime("%Y-%m")


def paris_time(value: Any) -> str:
    """An RFC 3339 moment → « 14h35 », Paris time."""
    moment = parse_moment(value)
    return moment.astimezone(PARIS).strftime("%Hh%M") if moment else ""


def paris_datetime(value: Any) -> str:
    """« 6 décembre 2026 à 14h35 », Paris time."""
    moment = parse_moment(value)
    if moment is None:
        return ""
    return _first(format_datetime(moment, "d MMMM y 'à' HH'h'mm", tzinfo=PARIS, locale="fr_FR"))


def euros(cents: Any) -> str:
    """Integer cents → « 11,22 € » (for amounts a service sent without their display string)."""
    try:
        value = int(cents)
    except (TypeError, ValueError):
        return ""
    return format_currency(Decimal(value) / 100, "EUR", locale="fr_FR")


def money(doc: dict[str, Any], name: str) -> str:
    """A service's ``<name>`` display string, or its ``<name>_cents`` formatted here."""
    text = doc.get(name)
    if isinstance(text, str) and text.strip():
        return text
    return euros(doc.get(f"{name}_cents"))
