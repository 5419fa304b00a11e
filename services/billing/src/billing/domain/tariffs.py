"""Tariff grids: per activity and school year, QF brackets → unit price of one day.

A :class:`TariffGrid` is ``activity_id``, ``school_year`` (``"2026/2027"``) and ordered
:class:`Bracket` s. A bracket prices every QF from its lower bound to ``qf_max`` **inclusive**;
its lower bound is the previous bracket's ``qf_max + 1`` (``0`` for the first). The last
bracket, and only it, has ``qf_max=None``: the **default bracket**, which prices every QF above
the previous bound **and every family without a valid QF**. Because the product charges a
family without a QF « le tarif le plus fort », the default bracket must cost at least as much
as every other bracket; a grid where no QF would pay less than some QF is refused.

API.md's example, read: ``[{qf_max: 600, 150}, {qf_max: 1200, 280}, {qf_max: null, 374}]`` →
QF 0–600 pay 1,50 €, 601–1200 pay 2,80 €, above 1200 or no QF pay 3,74 €.

What is refused (each an :class:`InvalidInput`; the error's ``code`` is the first problem's,
``errors`` lists them all with ``brackets[i].field`` paths):

- ``tariff_grid_empty``: no bracket;
- ``tariff_grid_too_many_brackets``: more than :data:`MAX_BRACKETS`;
- ``tariff_qf_bound_invalid``: a ``qf_max``/``qf_min`` that is not an integer in 0..QF_MAX_VALUE,
  or a ``qf_min`` above its own ``qf_max``;
- ``tariff_price_invalid``: a negative price (a free bracket, 0, is allowed);
- ``tariff_grid_overlap``: a bracket claims QF values an earlier bracket already prices — its
  ``qf_max`` is not strictly above the previous ``qf_max`` (a duplicate or a decreasing bound:
  with inclusive upper bounds, equal bounds mean the same QF in two brackets), or its stated
  ``qf_min`` is at or below the previous ``qf_max``;
- ``tariff_grid_gap``: QF values no bracket prices — a bracket states a ``qf_min`` above the
  previous ``qf_max + 1`` (``qf_min`` is optional; omitted, it is implied and no gap can occur
  between brackets);
- ``tariff_grid_no_default``: no ``qf_max: null`` bracket, so QFs above the last bound and
  families without a QF would have no price (the gap at the top);
- ``tariff_grid_several_defaults`` / ``tariff_default_not_last``: the default bracket must be
  unique and last;
- ``tariff_default_not_highest``: the default bracket costs less than another bracket;
- ``school_year_invalid``: a school year not written ``"2026/2027"``.

``grid.unit_price_for(qf_value_or_None)`` and ``grid.bracket_for(...)`` read the grid;
``TariffGrid.from_payload(activity_id, school_year, [{"qf_max": ..., "unit_price_cents": ...,
"qf_min"?: ...}])`` builds one from API input (collecting every problem instead of failing at the
first one) and ``grid.as_payload()`` gives it back in the same shape.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from billing.domain.errors import FieldError, invalid, invalid_all
from billing.domain.money import Money
from billing.domain.qf import QF_MAX_VALUE

# A town's grid has a handful of brackets; dozens means a broken import, not a policy.
MAX_BRACKETS = 30

_SCHOOL_YEAR = re.compile(r"^(\d{4})/(\d{4})$")


@lru_cache(maxsize=1024)  # pure; asked several times per priced day by the monthly run
def school_year_of(day: date) -> str:
    """``2026-11-27`` → ``"2026/2027"``; ``2027-03-01`` → ``"2026/2027"`` (the year turns in August,
    as in planning)."""
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}/{first + 1}"


def check_school_year(value: object, field: str = "school_year") -> str:
    match = _SCHOOL_YEAR.match(value) if isinstance(value, str) else None
    if match is None or int(match[2]) != int(match[1]) + 1:
        raise invalid(field, "school_year_invalid", "L'année scolaire doit s'écrire comme « 2026/2027 ».")
    return value


@dataclass(frozen=True)
class Bracket:
    """QFs from the implied (or stated) lower bound to ``qf_max`` inclusive pay ``unit_price``;
    ``qf_max=None`` is the default bracket."""

    qf_max: int | None
    unit_price: Money
    qf_min: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.unit_price, Money):
            raise TypeError("a bracket's unit_price is Money")

    @property
    def is_default(self) -> bool:
        return self.qf_max is None


def _valid_bound(value: object) -> bool:
    return type(value) is int and 0 <= value <= QF_MAX_VALUE


def grid_problems(brackets: tuple[Bracket, ...]) -> list[FieldError]:
    """Every reason to refuse these brackets (empty when the grid is sound)."""
    if not brackets:
        return [FieldError("brackets", "tariff_grid_empty", "La grille doit contenir au moins une tranche.")]
    if len(brackets) > MAX_BRACKETS:
        return [
            FieldError(
                "brackets",
                "tariff_grid_too_many_brackets",
                f"Une grille compte au plus {MAX_BRACKETS} tranches.",
            )
        ]
    problems: list[FieldError] = []
    previous_max = -1
    defaults = 0
    all_defaults = sum(1 for b in brackets if b.is_default)
    last = len(brackets) - 1
    for i, bracket in enumerate(brackets):
        at = f"brackets[{i}]"
        number = i + 1
        if bracket.unit_price.is_negative:
            problems.append(
                FieldError(f"{at}.unit_price_cents", "tariff_price_invalid", "Un tarif ne peut pas être négatif.")
            )
        if bracket.is_default:
            defaults += 1
            if defaults > 1:
                problems.append(
                    FieldError(
                        f"{at}.qf_max",
                        "tariff_grid_several_defaults",
                        "Une seule tranche peut être sans plafond (qf_max vide).",
                    )
                )
            elif i != last and all_defaults == 1:
                problems.append(
                    FieldError(
                        f"{at}.qf_max",
                        "tariff_default_not_last",
                        "La tranche sans plafond (qf_max vide) doit être la dernière de la grille.",
                    )
                )
        elif not _valid_bound(bracket.qf_max):
            problems.append(
                FieldError(
                    f"{at}.qf_max",
                    "tariff_qf_bound_invalid",
                    f"Le plafond de QF doit être un nombre entier entre 0 et {QF_MAX_VALUE}.",
                )
            )
            continue
        elif bracket.qf_max <= previous_max:
            problems.append(
                FieldError(
                    f"{at}.qf_max",
                    "tariff_grid_overlap",
                    f"La tranche n° {number} recouvre la précédente : les plafonds de QF doivent être "
                    "strictement croissants.",
                )
            )
        expected_min = previous_max + 1
        if bracket.qf_min is not None:
            if not _valid_bound(bracket.qf_min) or (bracket.qf_max is not None and bracket.qf_min > bracket.qf_max):
                problems.append(
                    FieldError(
                        f"{at}.qf_min",
                        "tariff_qf_bound_invalid",
                        "Le QF minimum d'une tranche doit être un entier positif, au plus égal à son plafond.",
                    )
                )
            elif bracket.qf_min > expected_min:
                problems.append(
                    FieldError(
                        f"{at}.qf_min",
                        "tariff_grid_gap",
                        f"Aucune tranche ne couvre les QF de {expected_min} à {bracket.qf_min - 1} : "
                        f"la tranche n° {number} doit commencer à {expected_min}.",
                    )
                )
            elif bracket.qf_min < expected_min:
                problems.append(
                    FieldError(
                        f"{at}.qf_min",
                        "tariff_grid_overlap",
                        f"La tranche n° {number} recouvre la précédente : elle doit commencer à {expected_min}.",
                    )
                )
        if bracket.qf_max is not None:
            previous_max = max(previous_max, bracket.qf_max)
    if defaults == 0:
        problems.append(
            FieldError(
                "brackets",
                "tariff_grid_no_default",
                "La grille doit se terminer par une tranche sans plafond (qf_max vide) : le tarif des QF "
                "au-delà du dernier plafond et des familles sans quotient familial valide.",
            )
        )
    elif brackets[last].is_default:
        highest = max(b.unit_price for b in brackets)
        if brackets[last].unit_price < highest:
            problems.append(
                FieldError(
                    f"brackets[{last}].unit_price_cents",
                    "tariff_default_not_highest",
                    "La tranche sans plafond, appliquée aux familles sans quotient familial valide, "
                    "doit porter le tarif le plus élevé de la grille.",
                )
            )
    return problems


@dataclass(frozen=True, init=False)
class TariffGrid:
    """One activity's prices for one school year; see the module docstring."""

    activity_id: Hashable
    school_year: str
    brackets: tuple[Bracket, ...]

    def __init__(self, activity_id: Hashable, school_year: str, brackets: Iterable[Bracket]):
        brackets = tuple(brackets)
        problems = grid_problems(brackets)
        if problems:
            raise invalid_all(problems)
        object.__setattr__(self, "activity_id", activity_id)
        object.__setattr__(self, "school_year", check_school_year(school_year))
        object.__setattr__(self, "brackets", brackets)

    @classmethod
    def from_payload(cls, activity_id: Hashable, school_year: str, brackets: Iterable[Mapping[str, Any]]) -> TariffGrid:
        """Build from ``[{"qf_max": 600, "unit_price_cents": 150}, ...]`` (``qf_min`` optional).

        Prices must be integer cents (a float is refused, never rounded)."""
        built: list[Bracket] = []
        problems: list[FieldError] = []
        for i, raw in enumerate(brackets):
            price = raw.get("unit_price_cents")
            if type(price) is not int:
                problems.append(
                    FieldError(
                        f"brackets[{i}].unit_price_cents",
                        "tariff_price_invalid",
                        "Le tarif doit être un nombre entier de centimes (374 pour 3,74 €).",
                    )
                )
                continue
            built.append(Bracket(raw.get("qf_max"), Money(price), raw.get("qf_min")))
        if problems:
            raise invalid_all(problems)
        return cls(activity_id, school_year, built)

    def as_payload(self) -> list[dict[str, int | None]]:
        return [{"qf_max": b.qf_max, "unit_price_cents": b.unit_price.cents} for b in self.brackets]

    @property
    def default(self) -> Bracket:
        return self.brackets[-1]

    def lower_bound(self, bracket: Bracket) -> int:
        index = self.brackets.index(bracket)
        return 0 if index == 0 else self.brackets[index - 1].qf_max + 1

    def bracket_for(self, qf_value: int | None) -> Bracket:
        """The bracket of a QF value; ``None`` (no valid QF) → the default bracket."""
        if qf_value is None:
            return self.default
        if type(qf_value) is not int or qf_value < 0:
            raise TypeError("a QF value is a non-negative int")
        for bracket in self.brackets:
            if bracket.qf_max is None or qf_value <= bracket.qf_max:
                return bracket
        raise AssertionError("a validated grid ends with its default bracket")

    def unit_price_for(self, qf_value: int | None) -> Money:
        return self.bracket_for(qf_value).unit_price

    def covers(self, day: date) -> bool:
        return school_year_of(day) == self.school_year
