"""The « Planning » month as the pages show it: planning's grid turned into table rows.

One row per activity, one column per day (« Lu Ma Me Je Ve Sa Di » and the date), each
cell's state said in words (visually hidden, and in a ``title``), by a symbol and by a
colour, never by colour alone (RGAA 3.1). In « Modifier » mode an editable day is a
checkbox with a label of its own (« Réserver Cantine le mardi 1er décembre »); the others
stay text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup

from .formats import MONTH, WEEKDAY_ABBREVIATIONS, long_day, month_label, paris_time, parse_date

# state → (symbol shown, words said); the legend under the grid lists the same pairs.
# « cancelling » is planning's ``pending`` with ``pending_change: remove``: a booked day the
# parent unticked, freed at « Payer ».
STATES = {
    "booked": ("✓", "Réservé"),
    "pending": ("€", "En attente de paiement"),
    "cancelling": ("↩", "Annulation en attente de validation"),
    "bookable": ("○", "Réservable"),
    "locked": ("⊘", "Délai dépassé"),
    "closed": ("–", "Fermé"),
    "full": ("✕", "Complet"),
}
# A few places left is worth saying on the grid itself; planning sends the count always.
FEW_PLACES = 5
# planning's reasons for a closed day, when it gives no label of its own.
REASONS = {
    "public_holiday": "Jour férié",
    "school_holiday": "Vacances scolaires",
    "closure": "Fermeture",
    "month_closed": "Mois non ouvert aux réservations",
    "weekday": "Pas d'activité ce jour",
    "outside_school_year": "Hors année scolaire",
    "not_eligible": "Activité non accessible à cet enfant",
}

_YEAR_PREFIX = re.compile(r"^\d{4}/\d{4}\s*-\s*")
_TIMES = re.compile(r"\s*\([^)]*\)\s*$")


def short_activity(name: str) -> str:
    """« 2026/2027 - Cantine (11h30 à 13h30) » → « Cantine », for the checkboxes' labels."""
    return _TIMES.sub("", _YEAR_PREFIX.sub("", name)).strip() or name


@dataclass(slots=True)
class DayColumn:
    date: date
    abbreviation: str
    number: str
    words: str
    weekend: bool


@dataclass(slots=True)
class Cell:
    date: date
    state: str
    editable: bool
    symbol: str
    words: str
    day_words: str  # « mardi 1er décembre »
    label: str  # what a checkbox of this day says (edit mode)
    field_id: str
    wanted: bool
    error: str | None = None


@dataclass(slots=True)
class ActivityRow:
    id: str
    name: str
    short_name: str
    cells: list[Cell] = field(default_factory=list)

    @property
    def has_editable(self) -> bool:
        return any(c.editable for c in self.cells)

    @property
    def offered(self) -> str:
        return ",".join(c.date.isoformat() for c in self.cells if c.editable)


@dataclass(slots=True)
class MonthGrid:
    child_id: str
    first_name: str
    month: str
    label: str
    previous_month: str | None
    next_month: str | None
    open: bool
    columns: list[DayColumn]
    rows: list[ActivityRow]
    basket_lines: int
    hold_until: str

    @property
    def href(self) -> str:
        return f"/planning/{self.child_id}/{self.month}"

    @property
    def editable(self) -> bool:
        return any(row.has_editable for row in self.rows)

    @property
    def has_errors(self) -> bool:
        return any(c.error for row in self.rows for c in row.cells)

    @property
    def previous_label(self) -> str:
        return month_label(self.previous_month) if self.previous_month else ""

    @property
    def next_label(self) -> str:
        return month_label(self.next_month) if self.next_month else ""


def _cell_words(day: dict[str, Any], state: str) -> str:
    words = STATES[state][1]
    if state == "closed":
        detail = day.get("label") or REASONS.get(str(day.get("reason") or ""))
        return f"{words} : {detail}" if detail else words
    places = day.get("places_left")
    if state == "bookable" and isinstance(places, int):
        return f"{words}, {places} place{'s' if places > 1 else ''} restante{'s' if places > 1 else ''}"
    return words


def _symbol(day: dict[str, Any], state: str) -> str:
    places = day.get("places_left")
    if state == "bookable" and isinstance(places, int) and places <= FEW_PLACES:
        return str(places)
    return STATES[state][0]


def _state(day: dict[str, Any]) -> str | None:
    state = day.get("state")
    if state == "pending" and day.get("pending_change") == "remove":
        return "cancelling"
    return state if state in STATES else None


def _wanted(day: dict[str, Any]) -> bool:
    """Whether the day is booked once the basket is paid: what « Valider » sends back as is."""
    change = day.get("pending_change")
    if change in ("add", "remove"):
        return change == "add"
    # ``booked`` is the confirmed fact, even on a day that became closed since.
    return bool(day.get("booked", day.get("state") in ("booked", "pending")))


def month_grid(doc: dict[str, Any], month: str, errors: dict[tuple[str, str], str] | None = None) -> MonthGrid:
    """planning's month (docs/saga.md) as rows and columns; ``errors`` by (activity, date)."""
    errors = errors or {}
    child = doc.get("child") if isinstance(doc.get("child"), dict) else {}
    dates: set[date] = set()
    rows = []
    for index, activity in enumerate(a for a in doc.get("activities") or [] if isinstance(a, dict)):
        name = str(activity.get("name") or "")
        row = ActivityRow(id=str(activity.get("id") or ""), name=name, short_name=short_activity(name))
        for day in activity.get("days") or []:
            when = parse_date(day.get("date")) if isinstance(day, dict) else None
            state = _state(day) if when else None
            if when is None or state is None:
                continue
            dates.add(when)
            editable = bool(day.get("editable")) and state not in ("closed", "locked")
            iso, words = when.isoformat(), long_day(when)
            row.cells.append(
                Cell(
                    date=when,
                    state=state,
                    editable=editable,
                    symbol=_symbol(day, state),
                    words=_cell_words(day, state),
                    day_words=words,
                    label=f"Réserver {row.short_name} le {words}",
                    field_id=f"j-{index}-{iso}",
                    wanted=_wanted(day),
                    error=errors.get((row.id, iso)) if errors else None,
                )
            )
        rows.append(row)
    columns = [
        DayColumn(
            date=d,
            abbreviation=WEEKDAY_ABBREVIATIONS[d.weekday()],
            number=f"{d.day:02d}",
            words=long_day(d),
            weekend=d.weekday() >= 5,
        )
        for d in sorted(dates)
    ]
    # Every row gets a cell per column, even where planning left a day out: the table stays square.
    for row in rows:
        by_date = {c.date: c for c in row.cells}
        row.cells = [by_date.get(col.date) or _missing(col.date) for col in columns]
    basket = doc.get("basket") if isinstance(doc.get("basket"), dict) else {}
    try:
        basket_lines = max(0, int(basket.get("lines") or 0))
    except (TypeError, ValueError):
        basket_lines = 0
    return MonthGrid(
        child_id=str(child.get("id") or ""),
        first_name=str(child.get("first_name") or ""),
        month=str(doc.get("month") or month),
        label=str(doc.get("label") or month_label(month)),
        previous_month=_month_or_none(doc.get("previous_month")),
        next_month=_month_or_none(doc.get("next_month")),
        open=doc.get("open") is not False,
        columns=columns,
        rows=rows,
        basket_lines=basket_lines,
        hold_until=paris_time(basket.get("expires_at")) if basket.get("expires_at") else "",
    )


class DayCells:
    """``day_cells`` of the templates: a row's days, each the ``day`` macro of
    ``planning/_grid.html``. A read-only day's markup depends on its state, words and
    symbol only, and a month has few distinct ones (~90 days, a dozen kinds): each is
    rendered once and kept, a day costing a lookup instead of a dozen escaped expressions.
    A checkbox (edit mode) or an error names its day: rendered every time. Another
    ``macro`` (the template reloaded, in development) starts afresh."""

    def __init__(self, max_entries: int = 4096):
        self.max_entries = max_entries
        self.macro: Any = None
        self.kept: dict[tuple[str, str, str], Markup] = {}

    def __call__(self, macro: Any, row: ActivityRow, edit: bool) -> Markup:
        """The days of ``row``, one after the other."""
        if macro is not self.macro:
            self.macro, self.kept = macro, {}
        # Each part is the macro's output (Markup, escaped there): joined as is.
        return Markup("".join([self._day(macro, row, cell, edit) for cell in row.cells]))

    def _day(self, macro: Any, row: ActivityRow, cell: Cell, edit: bool) -> Markup:
        if cell.error or (edit and cell.editable):
            return macro(row, cell, edit)
        key = (cell.state, cell.words, cell.symbol)
        found = self.kept.get(key)
        if found is None:
            if len(self.kept) >= self.max_entries:
                self.kept = {}
            found = self.kept[key] = macro(row, cell, edit)
        return found


def _missing(when: date) -> Cell:
    symbol, words = STATES["closed"]
    return Cell(when, "closed", False, symbol, words, long_day(when), "", f"j-x-{when.isoformat()}", False)


def _month_or_none(value: Any) -> str | None:
    text = str(value or "")
    return text if MONTH.match(text) else None


def legend() -> list[tuple[str, str, str]]:
    """(state, symbol, words) for the legend under the grid."""
    return [(state, symbol, words) for state, (symbol, words) in STATES.items()]


OFFERED = "offert:"


def offered_field(activity_id: str) -> str:
    """The hidden field listing the days the form offered as checkboxes for an activity."""
    return OFFERED + activity_id


def ticked_days(grid: MonthGrid, posted: dict[str, list[str]]) -> dict[tuple[str, str], bool]:
    """(activity, date) → ticked, for each day the posted form offered as a checkbox.

    The form says which days it offered: an unticked box sends nothing, and only that list
    tells "unticked" from "not offered" (a day that was not editable when the page was shown).
    """
    found = {}
    for row in grid.rows:
        offered = {d for value in posted.get(offered_field(row.id), []) for d in value.split(",") if d}
        ticked = set(posted.get(row.id, []))
        for day in offered:
            found[(row.id, day)] = day in ticked
    return found


def wanted_dates(grid: MonthGrid, ticked: dict[tuple[str, str], bool]) -> dict[str, list[str]]:
    """The days to send with « Valider », per activity: as ticked where the form offered a
    checkbox, as they are (booked or pending) everywhere else.

    A day offered then locked meanwhile is sent as ticked: planning refuses it with a
    sentence of its own (422), rather than the page silently dropping the parent's choice.
    """
    return {
        row.id: [c.date.isoformat() for c in row.cells if ticked.get((row.id, c.date.isoformat()), c.wanted)]
        for row in grid.rows
    }


def show_ticks(grid: MonthGrid, ticked: dict[tuple[str, str], bool]) -> None:
    """After a refusal: the boxes as the parent left them, nothing lost."""
    for row in grid.rows:
        for cell in row.cells:
            key = (row.id, cell.date.isoformat())
            if cell.editable and key in ticked:
                cell.wanted = ticked[key]
