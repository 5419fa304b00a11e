"""What can go wrong in a use case, said once: a stable code and a French sentence.

The HTTP layer maps each kind to a status (``Invalid`` → 422, ``NotFound`` → 404 ...);
the rules themselves know nothing of HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class AccountsError(Exception):
    def __init__(
        self,
        code: str,
        title: str,
        *,
        errors: list[FieldError] | tuple[FieldError, ...] = (),
        retry_after: int | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(code)
        self.code = code
        self.title = title
        self.errors = list(errors)
        self.retry_after = retry_after
        self.extra = extra or {}


class Invalid(AccountsError):
    """The request breaks a rule; ``errors`` says which field and why."""


class NotFound(AccountsError):
    pass


class Gone(AccountsError):
    """A link that existed but can no longer be used (expired or already used)."""


class Conflict(AccountsError):
    pass


class Unauthenticated(AccountsError):
    pass


class Forbidden(AccountsError):
    pass


class Throttled(AccountsError):
    pass


# The sentences a parent may read, kept together so that the same situation always reads the same.
INVALID_INPUT = "Certaines informations saisies ne sont pas valides."
DOSSIER_MISMATCH = (
    "Les références du dossier ne correspondent à aucun dossier connu. "
    "Vérifiez le numéro et le nom indiqués sur le courrier de la mairie."
)
DOSSIER_ALREADY_LINKED = (
    "Ce dossier est déjà rattaché à un compte. Si c'est le vôtre, utilisez « Mot de passe oublié »."
)
TOO_MANY_DOSSIER_TRIES = (
    "Trop de tentatives avec des références de dossier incorrectes. Merci de réessayer dans quelques minutes."
)
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
NOT_ACTIVATED = (
    "Votre compte n'est pas encore activé. Cliquez sur le lien de l'e-mail d'activation "
    "que nous vous avons envoyé (pensez à regarder dans vos courriers indésirables)."
)
TOO_MANY_REGISTRATIONS = (
    "Trop d'inscriptions ont été faites depuis cette connexion. Merci de réessayer dans quelques minutes."
)
TOO_MANY_LOGINS = "Trop de tentatives de connexion. Merci de patienter avant de réessayer."
SESSION_INVALID = "Votre session a expiré. Merci de vous reconnecter."
NOT_FOUND = "Cette ressource n'existe pas."


def not_found() -> NotFound:
    return NotFound("not_found", NOT_FOUND)


def invalid(*errors: FieldError, code: str = "validation_error", title: str = INVALID_INPUT) -> Invalid:
    return Invalid(code, title, errors=errors)
