"""What planning refuses, said once: a stable ``code`` and a French sentence.

Every rule of the domain raises a subclass of :class:`PlanningError`; a method that raises
has changed nothing. The HTTP layer maps the class to a status and renders problem+json
with ``title`` = :attr:`PlanningError.message`:

==================  ======  =====================================================
class               status  codes
==================  ======  =====================================================
``Invalid``         422     ``invalid_month``, ``invalid_deadline_rule`` ...
``NotFound``        404     ``unknown_activity``, ``unknown_child``
``RulesViolated``   422     one :class:`DayProblem` per refused day (see below)
``Conflict``        409     ``basket_frozen``, ``basket_empty``, ``basket_expired``,
                            ``basket_closed``
==================  ======  =====================================================

:class:`RulesViolated` carries ``problems``: one :class:`DayProblem` per refused day with its
own code (``deadline_passed``, ``cancellation_deadline_passed``, ``activity_not_running``,
``month_closed``, ``not_eligible``, ``day_full``, ``date_outside_month``, ``not_enrolled``)
so the API can list them all (« these days could not be changed ») instead of the first one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID


def french_date(day: date) -> str:
    """``date(2026, 12, 1)`` → ``"01/12/2026"``, the way the town's pages write dates."""
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class DayProblem:
    """Why one day of one activity cannot be changed."""

    day: date
    activity_id: UUID | None
    code: str
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "date": self.day.isoformat(),
            "activity_id": str(self.activity_id) if self.activity_id else None,
            "code": self.code,
            "message": self.message,
        }


@dataclass(eq=False)
class PlanningError(Exception):
    code: str
    message: str
    problems: tuple[DayProblem, ...] = field(default=())

    def __post_init__(self) -> None:
        super().__init__(self.code)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class Invalid(PlanningError):
    """Malformed input (a month that is not ``YYYY-MM``, a negative capacity ...)."""


class NotFound(PlanningError):
    """An activity or child the caller may not see (another family's child reads the same)."""


class RulesViolated(PlanningError):
    """Some requested days break a booking rule; ``problems`` lists each one."""


class Conflict(PlanningError):
    """The basket is not in a state that allows this (frozen for payment, empty, expired)."""


# The sentences a parent may read, kept together so the same situation always reads the same.
DEADLINE_PASSED = "La date limite de réservation pour le {day} est dépassée."
CANCELLATION_DEADLINE_PASSED = "La date limite d'annulation pour le {day} est dépassée."
NOT_RUNNING = "L'activité n'a pas lieu le {day}."
NOT_RUNNING_BECAUSE = "L'activité n'a pas lieu le {day} ({label})."
MONTH_CLOSED = "Les réservations ne sont pas ouvertes pour le mois du {day}."
NOT_ELIGIBLE = "Cette activité n'est pas ouverte à l'âge ou au niveau de l'enfant le {day}."
DAY_FULL = "Il n'y a plus de place le {day}."
OUTSIDE_MONTH = "Le {day} n'est pas dans le mois demandé."
NOT_ENROLLED = "L'enfant n'est pas inscrit à cette activité."
SEVERAL_DAYS = "Certains jours ne peuvent pas être modifiés."
UNKNOWN_ACTIVITY = "Cette activité n'existe pas."
UNKNOWN_CHILD = "Cet enfant n'existe pas."
INVALID_MONTH = "Le mois doit être écrit AAAA-MM, par exemple 2026-12."
BASKET_FROZEN = "Un paiement est en cours pour ce panier : il ne peut plus être modifié."
BASKET_EMPTY = "Le panier est vide."
BASKET_EXPIRED = "Le délai de paiement est dépassé : les places ont été libérées. Merci de refaire votre saisie."
BASKET_CLOSED = "Ce panier est clos. Merci de refaire votre saisie."


def rules_violated(problems: list[DayProblem] | tuple[DayProblem, ...]) -> RulesViolated:
    """One problem reads as its own sentence; several read as a summary and are listed."""
    problems = tuple(sorted(problems, key=lambda p: (p.day, str(p.activity_id))))
    message = problems[0].message if len(problems) == 1 else SEVERAL_DAYS
    code = problems[0].code if len({p.code for p in problems}) == 1 else "rules_violated"
    return RulesViolated(code, message, problems)


def conflict(code: str) -> Conflict:
    messages = {
        "basket_frozen": BASKET_FROZEN,
        "basket_empty": BASKET_EMPTY,
        "basket_expired": BASKET_EXPIRED,
        "basket_closed": BASKET_CLOSED,
    }
    return Conflict(code, messages[code])
