"""What can go wrong in a use case, said once: a stable code and a French sentence.

The kinds (``Invalid`` → 422, ``NotFound`` → 404 ...) are servicekit's: the problem
middleware every service shares turns them into problem documents, so the rules here
know nothing of HTTP. The refusals a parent meets often are named classes, so that the
same situation always reads the same.
"""

from __future__ import annotations

from servicekit.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    Throttled,
    Unauthenticated,
    invalid,
)

__all__ = [
    "BAD_CREDENTIALS",
    "DOSSIER_ALREADY_LINKED",
    "DOSSIER_MISMATCH",
    "AccountNotActivated",
    "BadCredentials",
    "Conflict",
    "DomainError",
    "DossierAlreadyLinked",
    "DossierMismatch",
    "FieldError",
    "Forbidden",
    "Gone",
    "Invalid",
    "NotFound",
    "SessionInvalid",
    "Throttled",
    "TooManyDossierTries",
    "TooManyActivationResends",
    "TooManyLogins",
    "TooManyRegistrations",
    "Unauthenticated",
    "invalid",
    "not_found",
]

DOSSIER_MISMATCH = (
    "Les références du dossier ne correspondent à aucun dossier connu. "
    "Vérifiez le numéro et le nom indiqués sur le courrier de la mairie."
)
DOSSIER_ALREADY_LINKED = (
    "Ce dossier est déjà rattaché à un compte. Si c'est le vôtre, utilisez « Mot de passe oublié »."
)
BAD_CREDENTIALS = "Nom d'utilisateur ou mot de passe incorrect."


class DossierMismatch(Invalid):
    """The references match no dossier (the same answer whether the number exists or not)."""

    code = "dossier_mismatch"
    title = DOSSIER_MISMATCH

    def __init__(self, number_field: str, name_field: str):
        super().__init__(
            errors=[
                FieldError(number_field, self.code, self.title),
                FieldError(name_field, self.code, self.title),
            ]
        )


class DossierAlreadyLinked(Conflict):
    code = "dossier_already_linked"
    title = DOSSIER_ALREADY_LINKED


class TooManyDossierTries(Throttled):
    code = "too_many_dossier_attempts"
    title = "Trop de tentatives avec des références de dossier incorrectes. Merci de réessayer dans quelques minutes."


class TooManyRegistrations(Throttled):
    code = "too_many_registrations"
    title = "Trop d'inscriptions ont été faites depuis cette connexion. Merci de réessayer dans quelques minutes."


class TooManyActivationResends(Throttled):
    code = "too_many_activation_resends"
    title = "Vous avez déjà demandé plusieurs e-mails d'activation. Merci de réessayer dans quelques minutes."


class TooManyLogins(Throttled):
    code = "too_many_login_attempts"
    title = "Trop de tentatives de connexion. Merci de patienter avant de réessayer."


class BadCredentials(Unauthenticated):
    code = "invalid_credentials"
    title = BAD_CREDENTIALS


class AccountNotActivated(Forbidden):
    code = "account_not_activated"
    title = (
        "Votre compte n'est pas encore activé. Cliquez sur le lien de l'e-mail d'activation "
        "que nous vous avons envoyé (pensez à regarder dans vos courriers indésirables)."
    )


class SessionInvalid(Unauthenticated):
    code = "session_invalid"
    title = "Votre session a expiré. Merci de vous reconnecter."


def not_found() -> NotFound:
    """Someone else's resource answers exactly like one that does not exist."""
    return NotFound()
