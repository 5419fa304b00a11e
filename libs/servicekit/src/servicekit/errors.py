"""What a use case refuses, said once: a stable code, a French title, a status.

Services subclass these (``class DossierMismatch(Invalid): code = ...; title = ...``) or
raise them with a code and a title. The web shell's problem middleware turns any
``DomainError`` into an RFC 9457 problem document, so no service writes that mapping.
Consumers (event handlers) catch them like any exception: the status is then unused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from .problems import Problem


@dataclass(frozen=True)
class FieldError:
    """One field's refusal, as the ``errors`` member of a problem document lists it."""

    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": self.message}


class DomainError(Exception):
    """A refusal a caller can act on. Class attributes give the defaults of a kind.

    ``DomainError(code, title, errors=..., detail=..., retry_after=..., extra=...)``: every
    argument is optional; ``field``/``message`` is a shortcut for one ``FieldError``.
    """

    status: ClassVar[int] = 400
    code: str = "bad_request"
    title: str = "La demande est mal formée."

    def __init__(
        self,
        code: str | None = None,
        title: str | None = None,
        *,
        detail: str | None = None,
        errors: Iterable[FieldError] = (),
        field: str | None = None,
        message: str | None = None,
        retry_after: int | None = None,
        extra: dict[str, Any] | None = None,
    ):
        if code is not None:
            self.code = code
        if title is not None:
            self.title = title
        self.detail = detail
        self.errors = list(errors)
        if field is not None:
            self.errors.append(FieldError(field, self.code, message or self.title))
        self.retry_after = retry_after
        self.extra = dict(extra or {})
        super().__init__(self.code)

    def to_problem(self) -> Problem:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        extra = dict(self.extra)
        if self.retry_after is not None:
            extra["retry_after"] = self.retry_after
        return Problem(
            self.status,
            self.code,
            self.title,
            detail=self.detail,
            errors=[e.as_dict() for e in self.errors] or None,
            headers=headers,
            **extra,
        )


class Invalid(DomainError):
    """The request breaks a rule; ``errors`` says which field and why."""

    status = 422
    code = "validation_error"
    title = "Certaines informations saisies ne sont pas valides."


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "Vous devez être connecté pour accéder à cette page."


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Vous n'avez pas les droits nécessaires pour cette action."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Cette ressource n'existe pas."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Cette action entre en conflit avec l'état actuel."


class Gone(DomainError):
    """A link that existed but can no longer be used (expired or already used)."""

    status = 410
    code = "gone"
    title = "Ce lien n'est plus valable."


class TooLarge(DomainError):
    status = 413
    code = "too_large"
    title = "Le contenu envoyé est trop volumineux."


class UnsupportedMedia(DomainError):
    status = 415
    code = "unsupported_media_type"
    title = "Ce format n'est pas accepté."


class Throttled(DomainError):
    status = 429
    code = "too_many_requests"
    title = "Trop de tentatives. Merci de réessayer dans quelques minutes."


def invalid(*errors: FieldError, code: str | None = None, title: str | None = None) -> Invalid:
    return Invalid(code, title, errors=errors)
