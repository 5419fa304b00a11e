"""What a parent or an agent may type: trimmed, NFC, no control characters.

Subjects end up in e-mail headers and in one-line lists, so they take no line breaks at
all; bodies keep line breaks and tabs. Lone surrogates (``"\\ud800"`` is valid JSON) are
refused too: PostgreSQL could not store them.
"""

from __future__ import annotations

import unicodedata

from .errors import InvalidInput

SUBJECT_MAX = 150
BODY_MAX = 10_000
LABEL_MAX = 80
TITLE_MAX = 120

_BODY_ALLOWED_CONTROLS = frozenset("\n\t")


def _clean(value: str, *, field: str, max_length: int, multiline: bool) -> str:
    if not isinstance(value, str):
        raise InvalidInput("Ce champ doit être un texte.", field=field, code="string_type")
    text = value.replace("\r\n", "\n").replace("\r", "\n") if multiline else value
    for char in text:
        category = unicodedata.category(char)
        allowed_control = multiline and char in _BODY_ALLOWED_CONTROLS
        if category == "Cs" or (category == "Cc" and not allowed_control) or char in "\u2028\u2029":
            raise InvalidInput(
                "Ce texte contient des caractères non autorisés.", field=field, code="forbidden_characters"
            )
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise InvalidInput("Ce champ est obligatoire.", field=field, code="required")
    if len(text) > max_length:
        raise InvalidInput(f"Ce texte ne doit pas dépasser {max_length} caractères.", field=field, code="too_long")
    return text


def clean_subject(value: str, field: str = "subject") -> str:
    return _clean(value, field=field, max_length=SUBJECT_MAX, multiline=False)


def clean_body(value: str, field: str = "body") -> str:
    return _clean(value, field=field, max_length=BODY_MAX, multiline=True)


def clean_label(value: str, field: str = "label") -> str:
    return _clean(value, field=field, max_length=LABEL_MAX, multiline=False)


def clean_title(value: str, field: str = "title") -> str:
    return _clean(value, field=field, max_length=TITLE_MAX, multiline=False)


def slugify(label: str) -> str:
    """``"Périscolaire / Animation"`` → ``"periscolaire-animation"`` (theme codes)."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    words = "".join(c if c.isalnum() else " " for c in ascii_text).split()
    return "-".join(words)[:60] or "theme"
