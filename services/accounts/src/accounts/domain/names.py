"""How family names are compared: case, accents and spacing do not matter."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """``"  le  Dérf "`` → ``"LE DERF"``: what a dossier's name is matched on."""
    decomposed = unicodedata.normalize("NFKD", name)
    no_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(no_marks.replace("-", " ").replace("'", " ").upper().split())
