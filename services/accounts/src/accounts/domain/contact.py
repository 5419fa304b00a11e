"""Phone numbers and e-mail addresses as the town stores them.

French numbers are kept in the national form the town's staff and letters use
(``06 12 34 56 78``), whatever way they were typed (``0612345678``, ``+33 6 12 34 56 78``,
``0033612345678``, dots or dashes). Foreign numbers are kept in E.164 (``+447700900123``).
"""

from __future__ import annotations

import re

from .text import TextError, clean_text

_SEPARATORS = re.compile(r"[\s.\-/()]")
_FRENCH_NATIONAL = re.compile(r"^0[1-9]\d{8}$")
_INTERNATIONAL = re.compile(r"^\+[1-9]\d{6,14}$")

EMAIL_MAX_LENGTH = 254
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_EMAIL_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def normalise_phone(raw: str) -> str:
    value = clean_text(raw)
    compact = _SEPARATORS.sub("", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+33"):
        rest = compact[3:]
        rest = rest.removeprefix("0")  # "+33 (0)6 ..." as some people write it
        compact = "0" + rest
    if _FRENCH_NATIONAL.match(compact):
        return " ".join(compact[i : i + 2] for i in range(0, 10, 2))
    if _INTERNATIONAL.match(compact):
        return compact
    raise TextError(
        "invalid_phone",
        "Ce numéro de téléphone n'est pas valide (exemples : 06 12 34 56 78 ou +33 6 12 34 56 78).",
    )


def normalise_email(raw: str) -> str:
    """Trimmed, domain in lower case; the local part is kept as typed (RFC 5321)."""
    value = clean_text(raw)
    error = TextError("invalid_email", "Cette adresse e-mail n'est pas valide (exemple : prenom.nom@exemple.fr).")
    if len(value) > EMAIL_MAX_LENGTH or value.count("@") != 1:
        raise error
    local, domain = value.split("@")
    domain = domain.lower().rstrip(".")
    if not local or len(local) > 64 or not _EMAIL_LOCAL.match(local):
        raise error
    labels = domain.split(".")
    if len(labels) < 2 or not all(_EMAIL_LABEL.match(label) for label in labels):
        raise error
    if not labels[-1].isalpha() or len(labels[-1]) < 2:
        raise error
    return f"{local}@{domain}"


def same_email(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()
