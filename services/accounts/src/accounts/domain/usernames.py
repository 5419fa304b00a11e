"""Usernames: 3 to 40 characters among ``a-z 0-9 . _ -``, unique whatever the case.

Suggestions are built from the names the way the town's letters show them: « Le Derf »
→ ``lederf``, then ``lederf2``, ``lederf3``..., then first-name forms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

MIN_LENGTH = 3
MAX_LENGTH = 40
_PATTERN = re.compile(r"^[a-z0-9._-]{3,40}$")

# Letters that NFKD does not decompose but French names use.
_LIGATURES = str.maketrans(
    {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"}
)


# Usernames a parent may not take: they would pass for the town, its staff or the system
# in a message or a screen. Compared without separators and trailing digits (« Admin »,
# « ad.min », « admin1 », « admin_2 »); the first group also may not be a part of one
# (« admin.lederf », « mairie-puiseux »). Staff accounts are made by staff and not checked.
RESERVED_PARTS = frozenset(
    {
        "admin",
        "administrateur",
        "administrator",
        "administration",
        "root",
        "mairie",
        "webmaster",
        "postmaster",
        "hostmaster",
        "support",
        "staff",
        "portail",
        "moderateur",
        "moderator",
        "sysadmin",
    }
)
RESERVED_WHOLE = RESERVED_PARTS | frozenset(
    {
        "contact",
        "agent",
        "agents",
        "accueil",
        "info",
        "infos",
        "noreply",
        "nepasrepondre",
        "abuse",
        "security",
        "securite",
        "system",
        "systeme",
        "service",
        "services",
        "maire",
        "ville",
        "commune",
        "enfance",
        "famille",
        "familles",
        "test",
        "demo",
        "null",
        "none",
        "anonymous",
        "anonyme",
        "help",
        "aide",
        "operator",
    }
)
_PARTS = re.compile(r"[._\-0-9]+")


def username_reserved(username: str) -> bool:
    """True for a (normalised) username that passes for the town or the system."""
    plain = slug(username)
    whole = plain.rstrip("0123456789")
    if whole in RESERVED_WHOLE:
        return True
    return any(part in RESERVED_PARTS for part in _PARTS.split(slug_keep_separators(username)) if part)


def slug_keep_separators(text: str) -> str:
    """Lower case without accents, separators kept (so that parts can be told apart)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def normalise_username(raw: str) -> str:
    return raw.strip().lower()


def username_problem(username: str) -> str | None:
    """A French sentence saying what is wrong with a (normalised) username, or None."""
    if len(username) < MIN_LENGTH:
        return f"Le nom d'utilisateur doit contenir au moins {MIN_LENGTH} caractères."
    if len(username) > MAX_LENGTH:
        return f"Le nom d'utilisateur doit contenir au plus {MAX_LENGTH} caractères."
    if not _PATTERN.match(username):
        return (
            "Le nom d'utilisateur ne peut contenir que des lettres minuscules sans accent, "
            "des chiffres, des points, des tirets et des tirets bas."
        )
    return None


def slug(text: str) -> str:
    """``"Le Dérf"`` → ``"lederf"``: lower case, no accents, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return "".join(c for c in plain if ("a" <= c <= "z") or c.isdigit() and c.isascii())


def candidates(last_name: str, first_name: str = "", *, wanted: str = "", count: int = 40) -> list[str]:
    """Usernames to offer, best first; the caller keeps the free ones.

    ``wanted`` is what the parent typed: itself first (lower case) when it is a valid
    username, then names built on it, then the ones built from the names."""
    last, first = slug(last_name), slug(first_name)
    typed = normalise_username(wanted)
    own = typed if typed and username_problem(typed) is None and not username_reserved(typed) else ""
    typed_base = own or slug(wanted)
    if len(typed_base) < MIN_LENGTH or username_reserved(typed_base):
        typed_base = ""
    typed_base = typed_base[: MAX_LENGTH - 3]
    if typed_base:
        mine = [name for name in (own, typed_base) if name] + [f"{typed_base}2"]
        return _unique(mine + candidates(last_name, first_name, count=count))[:count]
    base = last or first or "parent"
    if len(base) < MIN_LENGTH:
        base = (first + base) if len(first + base) >= MIN_LENGTH else (base + "famille")
    base = base[: MAX_LENGTH - 3]

    def numbered(start: int) -> Iterator[str]:
        n = start
        while True:
            yield f"{base}{n}"
            n += 1

    out: list[str] = [base]
    numbers = numbered(2)
    out += [next(numbers), next(numbers)]
    if first and last:
        out += [f"{first}.{last}"[:MAX_LENGTH], f"{first[0]}{last}"[:MAX_LENGTH]]
    while len(out) < count:
        out.append(next(numbers))
    return _unique(out)


def _unique(names: list[str]) -> list[str]:
    """Valid, not reserved, each once, in order."""
    seen: set[str] = set()
    unique = []
    for name in names:
        if name not in seen and username_problem(name) is None and not username_reserved(name):
            seen.add(name)
            unique.append(name)
    return unique
