"""What billing's rules refuse: a stable ``code`` and a French ``message`` fit to show a parent.

Every refusal of the domain is a :class:`BillingError`. Entry points map the families to
HTTP statuses and problem documents, the rules know nothing of HTTP:

- :class:`InvalidInput` (→ 422): the input breaks a rule; ``errors`` lists each field and why
  (``field`` uses the request's path, e.g. ``brackets[1].qf_max``).
- :class:`Conflict` (→ 409): the request is well formed but the current state refuses it
  (a QF period overlapping a validated one, a payment already started with another operation).
- :class:`NotFound` (→ 404): something the rule needs does not exist (no tariff grid for an
  activity and school year).

``code`` is part of the API contract (a client may branch on it); the message may be reworded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of the input."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class BillingError(Exception):
    """A refusal a caller can act on; ``code`` is stable, ``message`` is French."""

    code = "billing_error"
    message = "Cette opération de facturation n'est pas possible."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        errors: Iterable[FieldError] = (),
    ):
        self.message = message or type(self).message
        self.code = code or type(self).code
        self.field = field
        self.errors = list(errors)
        if field is not None and not self.errors:
            self.errors = [FieldError(field, self.code, self.message)]
        super().__init__(self.code)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidInput(BillingError):
    code = "validation_error"
    message = "Certaines informations saisies ne sont pas valides."


class Conflict(BillingError):
    code = "conflict"
    message = "Cette opération entre en conflit avec l'état actuel du compte."


class NotFound(BillingError):
    code = "not_found"
    message = "Cette ressource n'existe pas."


def invalid(field: str, code: str, message: str) -> InvalidInput:
    """One refused field, as an error whose own code is the field's code."""
    return InvalidInput(message, code=code, field=field)


def invalid_all(problems: list[FieldError]) -> InvalidInput:
    """Several refused fields at once; the error takes the first problem's code and message
    so that a client reading only ``code`` still learns the main reason."""
    first = problems[0]
    return InvalidInput(first.message, code=first.code, errors=problems)
