"""Person names: what they may hold, and how family names are compared (case, accents and
spacing do not matter).

A name typed at registration is printed in the e-mails the town's server sends to the
address typed next to it: it must be a person's name, not a sentence (« VOTRE COMPTE EST
BLOQUÉ, RENDEZ-VOUS SUR HTTP://… ») that makes the town's mail a phishing vehicle.
"""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """``"  le  Dérf "`` → ``"LE DERF"``: what a dossier's name is matched on."""
    decomposed = unicodedata.normalize("NFKD", name)
    no_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(no_marks.replace("-", " ").replace("'", " ").upper().split())


PERSON_NAME_MAX_LENGTH = 60
# Separators a name may hold besides letters: space, hyphen, apostrophes, dot.
_SEPARATORS = frozenset(" -'’.")


def person_name_problem(name: str) -> tuple[str, str] | None:
    """``(code, French message)`` when ``name`` (already NFC and trimmed) is not a person's
    name: letters of any script (with their accents), spaces, hyphens, apostrophes and
    dots (ending an initial), starting with a letter, at most 60 characters. None when it is one."""
    for char in name:
        category = unicodedata.category(char)
        if not (category.startswith("L") or category.startswith("M") or char in _SEPARATORS):
            return (
                "invalid_person_name",
                "Un nom ne peut contenir que des lettres, des espaces, des tirets, des apostrophes et des points.",
            )
    if name and not unicodedata.category(name[0]).startswith("L"):
        return "invalid_person_name", "Un nom doit commencer par une lettre."
    # A dot ends an initial (« J.-P. », « St. »): one followed by a letter is an address.
    if any(a == "." and b not in " -" for a, b in zip(name, name[1:], strict=False)):
        return "invalid_person_name", "Un point ne peut suivre qu'une initiale (exemple : J.-P.)."
    if len(name) > PERSON_NAME_MAX_LENGTH:
        return "name_too_long", f"Ce nom est trop long ({PERSON_NAME_MAX_LENGTH} caractères au maximum)."
    return None
