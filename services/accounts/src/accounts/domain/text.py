"""What a text typed by a person may contain.

Names, addresses and e-mails are stored in NFC and may not hold control or invisible
formatting characters: a NUL cannot be stored by PostgreSQL at all, and a right-to-left
override (U+202E) or a zero-width space makes a name display as something it is not.
"""

from __future__ import annotations

import unicodedata

# Unicode categories refused anywhere: controls, invisible formatting (bidi overrides,
# zero-width characters, BOM), surrogates, private use and unassigned code points.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


class TextError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def has_forbidden_characters(value: str, *, allow_newlines: bool = False) -> bool:
    for char in value:
        if allow_newlines and char in "\n\t":
            continue
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            return True
    return False


def clean_text(value: str, *, allow_newlines: bool = False, required: bool = True) -> str:
    """NFC, trimmed, inner runs of spaces folded; raises ``TextError`` on hidden characters."""
    if has_forbidden_characters(value, allow_newlines=allow_newlines):
        raise TextError("forbidden_characters", "Ce texte contient des caractères non autorisés.")
    value = unicodedata.normalize("NFC", value).strip()
    if not allow_newlines:
        value = " ".join(value.split())
    if required and not value:
        raise TextError("required", "Ce champ est obligatoire.")
    return value
