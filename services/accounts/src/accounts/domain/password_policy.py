"""What makes an acceptable password (NIST SP 800-63B, not composition rules).

At least 12 characters and at most 256, any characters but controls, long passphrases
welcome; refused: the passwords attackers try first (a shipped list), one containing the
username, one equal to the e-mail address. Passwords are compared and hashed in NFKC so
that the same phrase typed on two keyboards is the same password.
"""

from __future__ import annotations

import functools
import unicodedata
from importlib import resources

from .errors import FieldError
from .text import has_forbidden_characters

MIN_LENGTH = 12
MAX_LENGTH = 256

_UNLEET = str.maketrans({"@": "a", "4": "a", "0": "o", "3": "e", "$": "s", "5": "s", "7": "t", "!": "i", "1": "i"})


def normalise_password(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


@functools.cache
def common_passwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line for line in (raw.strip() for raw in text.splitlines()) if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    lowered = password.casefold()
    if len(set(lowered)) <= 2:  # "aaaaaaaaaaaa", "abababababab"
        return True
    forms = {lowered, lowered.replace(" ", ""), lowered.translate(_UNLEET), lowered.replace(" ", "").translate(_UNLEET)}
    listed = common_passwords()
    return any(form in listed for form in forms)


def password_errors(
    password: str, *, username: str | None = None, email: str | None = None, field: str = "password"
) -> list[FieldError]:
    """Every reason to refuse ``password`` (already NFKC), as field errors in French."""
    if has_forbidden_characters(password):
        return [
            FieldError(field, "password_forbidden_characters", "Le mot de passe contient des caractères non autorisés.")
        ]
    if len(password) < MIN_LENGTH:
        return [
            FieldError(
                field,
                "password_too_short",
                f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères. "
                "Une phrase facile à retenir fait un bon mot de passe.",
            )
        ]
    if len(password) > MAX_LENGTH:
        return [
            FieldError(field, "password_too_long", f"Le mot de passe doit contenir au plus {MAX_LENGTH} caractères.")
        ]
    errors = []
    lowered = password.casefold()
    if email and lowered == email.casefold():
        errors.append(FieldError(field, "password_is_email", "Le mot de passe ne doit pas être votre adresse e-mail."))
    if username and username.casefold() in lowered:
        errors.append(
            FieldError(
                field, "password_contains_username", "Le mot de passe ne doit pas contenir votre nom d'utilisateur."
            )
        )
    if is_common(password):
        errors.append(
            FieldError(
                field,
                "password_too_common",
                "Ce mot de passe est trop courant. Choisissez une phrase plus personnelle.",
            )
        )
    return errors
