"""The family file: how its references and fields are written and checked."""

from __future__ import annotations

import re
from datetime import date

from .names import name_key
from .text import TextError, clean_text

NUMBER_MAX_LENGTH = 20
NAME_MAX_LENGTH = 100
SCHOOL_MAX_LENGTH = 100
LEVEL_MAX_LENGTH = 20
ADDRESS_LINE_MAX_LENGTH = 200
CITY_MAX_LENGTH = 100
OLDEST_CHILD_YEARS = 25

_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9/-]*$")
_POSTAL_CODE = re.compile(r"^\d{5}$")


def normalise_dossier_number(raw: str) -> str:
    """``" 404 "`` → ``"404"``; letters upper-cased, spaces dropped."""
    value = clean_text(raw).replace(" ", "").upper()
    if len(value) > NUMBER_MAX_LENGTH or not _NUMBER.match(value):
        raise TextError("invalid_dossier_number", "Le numéro de dossier n'est pas valide.")
    return value


def names_match(typed: str, on_file_key: str) -> bool:
    return name_key(typed) == on_file_key


def normalise_postal_code(raw: str) -> str:
    value = clean_text(raw).replace(" ", "")
    if not _POSTAL_CODE.match(value):
        raise TextError("invalid_postal_code", "Le code postal doit compter 5 chiffres.")
    return value


def birth_date_problem(birth_date: date, today: date) -> str | None:
    if birth_date > today:
        return "La date de naissance ne peut pas être dans le futur."
    if birth_date.year < today.year - OLDEST_CHILD_YEARS:
        return "La date de naissance est trop ancienne pour un enfant."
    return None


def parse_french_or_iso_date(raw: str) -> date:
    """``2019-04-02`` or ``02/04/2019`` (what spreadsheets export in France)."""
    value = raw.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        pass
    raise TextError("invalid_date", "La date n'est pas valide (AAAA-MM-JJ ou JJ/MM/AAAA).")
