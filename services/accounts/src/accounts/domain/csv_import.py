"""Reading the town's dossier file (CSV, ``;``-separated, one row per child).

Every row is checked before anything is written: the result is either a plan of dossiers
to create or a report of every rejected line, never half of each.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from .contact import normalise_email, normalise_phone
from .dossiers import (
    LEVEL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    SCHOOL_MAX_LENGTH,
    birth_date_problem,
    normalise_dossier_number,
    parse_french_or_iso_date,
)
from .names import name_key
from .text import TextError, clean_text

COLUMNS = (
    "number",
    "family_name",
    "adult_last_name",
    "adult_first_name",
    "adult_email",
    "adult_phone",
    "child_first_name",
    "child_last_name",
    "child_birth_date",
    "child_school",
    "child_level",
)
MAX_ROWS = 20_000

_LABELS = {
    "number": "numéro de dossier",
    "family_name": "nom de famille",
    "adult_last_name": "nom de l'adulte",
    "adult_first_name": "prénom de l'adulte",
    "adult_email": "e-mail de l'adulte",
    "adult_phone": "téléphone de l'adulte",
    "child_first_name": "prénom de l'enfant",
    "child_last_name": "nom de l'enfant",
    "child_birth_date": "date de naissance de l'enfant",
    "child_school": "école de l'enfant",
    "child_level": "classe de l'enfant",
}


@dataclass(frozen=True)
class RowProblem:
    line: int | None
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "reason": self.reason}


@dataclass
class PlannedAdult:
    last_name: str
    first_name: str
    email: str | None
    phone: str | None
    line: int


@dataclass
class PlannedChild:
    first_name: str
    last_name: str
    birth_date: date
    school: str | None
    level: str | None
    line: int


@dataclass
class PlannedDossier:
    number: str
    family_name: str
    line: int
    adults: list[PlannedAdult] = field(default_factory=list)
    children: list[PlannedChild] = field(default_factory=list)


@dataclass
class ImportPlan:
    dossiers: list[PlannedDossier]
    report: list[RowProblem]
    rows: int

    @property
    def adults(self) -> int:
        return sum(len(d.adults) for d in self.dossiers)

    @property
    def children(self) -> int:
        return sum(len(d.children) for d in self.dossiers)


class _RowError(Exception):
    pass


def _text(row: dict[str, str], name: str, max_length: int, *, required: bool) -> str | None:
    raw = row.get(name) or ""
    if not raw.strip():
        if required:
            raise _RowError(f"Le champ « {_LABELS[name]} » est obligatoire.")
        return None
    if len(raw) > max_length:
        raise _RowError(f"Le champ « {_LABELS[name]} » dépasse {max_length} caractères.")
    try:
        return clean_text(raw)
    except TextError as exc:
        raise _RowError(f"Le champ « {_LABELS[name]} » : {exc.message}") from None


def _checked(name: str, convert, raw: str):
    try:
        return convert(raw)
    except TextError as exc:
        raise _RowError(f"Le champ « {_LABELS[name]} » : {exc.message}") from None


def decode(data: bytes) -> str:
    """UTF-8, with or without the byte order mark spreadsheets put first."""
    return data.decode("utf-8").removeprefix("\ufeff")


def parse_dossier_csv(data: bytes, *, today: date) -> ImportPlan:
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return ImportPlan([], [RowProblem(None, "Le fichier doit être enregistré en UTF-8.")], 0)
    if "\x00" in text:
        return ImportPlan([], [RowProblem(None, "Le fichier contient des caractères non autorisés.")], 0)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    report: list[RowProblem] = []
    dossiers: dict[str, PlannedDossier] = {}
    header_seen = False
    rows = 0
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if not header_seen:
                header = tuple(c.strip().lower() for c in cells)
                if header != COLUMNS:
                    return ImportPlan(
                        [],
                        [RowProblem(line, "La première ligne doit nommer les colonnes : " + ";".join(COLUMNS) + ".")],
                        0,
                    )
                header_seen = True
                continue
            rows += 1
            if rows > MAX_ROWS:
                return ImportPlan([], [RowProblem(line, f"Le fichier dépasse {MAX_ROWS} lignes.")], rows)
            if len(cells) != len(COLUMNS):
                report.append(RowProblem(line, f"La ligne compte {len(cells)} colonnes au lieu de {len(COLUMNS)}."))
                continue
            try:
                _add_row(dict(zip(COLUMNS, cells, strict=True)), line, dossiers, today)
            except _RowError as exc:
                report.append(RowProblem(line, str(exc)))
    except csv.Error:
        report.append(RowProblem(reader.line_num, "Cette ligne est mal formée (guillemets ?)."))
    if not header_seen:
        return ImportPlan([], [RowProblem(None, "Le fichier est vide.")], 0)
    if rows == 0 and not report:
        report.append(RowProblem(None, "Le fichier ne contient aucune ligne de dossier."))
    return ImportPlan(list(dossiers.values()), report, rows)


def _add_row(row: dict[str, str], line: int, dossiers: dict[str, PlannedDossier], today: date) -> None:
    number_raw = _text(row, "number", 40, required=True)
    number = _checked("number", normalise_dossier_number, number_raw)
    family_name = _text(row, "family_name", NAME_MAX_LENGTH, required=True)
    adult_last = _text(row, "adult_last_name", NAME_MAX_LENGTH, required=True)
    adult_first = _text(row, "adult_first_name", NAME_MAX_LENGTH, required=True)
    email_raw = _text(row, "adult_email", 254, required=False)
    email = _checked("adult_email", normalise_email, email_raw) if email_raw else None
    phone_raw = _text(row, "adult_phone", 40, required=False)
    phone = _checked("adult_phone", normalise_phone, phone_raw) if phone_raw else None

    child = None
    child_fields = ("child_first_name", "child_last_name", "child_birth_date", "child_school", "child_level")
    if any((row.get(name) or "").strip() for name in child_fields):
        first = _text(row, "child_first_name", NAME_MAX_LENGTH, required=True)
        last = _text(row, "child_last_name", NAME_MAX_LENGTH, required=True)
        birth_raw = _text(row, "child_birth_date", 20, required=True)
        birth = _checked("child_birth_date", parse_french_or_iso_date, birth_raw)
        problem = birth_date_problem(birth, today)
        if problem:
            raise _RowError(problem)
        school = _text(row, "child_school", SCHOOL_MAX_LENGTH, required=False)
        level = _text(row, "child_level", LEVEL_MAX_LENGTH, required=False)
        child = PlannedChild(first, last, birth, school, level, line)

    dossier = dossiers.get(number)
    if dossier is None:
        dossier = dossiers[number] = PlannedDossier(number, family_name, line)
    elif name_key(dossier.family_name) != name_key(family_name):
        raise _RowError(f"Le nom de famille diffère de celui du dossier {number} (ligne {dossier.line}).")

    same_adult = next(
        (
            a
            for a in dossier.adults
            if (name_key(a.last_name), name_key(a.first_name)) == (name_key(adult_last), name_key(adult_first))
        ),
        None,
    )
    if same_adult is None:
        new_adult = PlannedAdult(adult_last, adult_first, email, phone, line)
    elif (email and same_adult.email and email.casefold() != same_adult.email.casefold()) or (
        phone and same_adult.phone and phone != same_adult.phone
    ):
        raise _RowError(f"Les coordonnées de cet adulte diffèrent de la ligne {same_adult.line}.")
    else:
        new_adult = None

    if child is not None:
        for other in dossier.children:
            if (name_key(other.first_name), other.birth_date) == (name_key(child.first_name), child.birth_date):
                raise _RowError(f"Cet enfant figure déjà ligne {other.line}.")

    # Only a fully valid row changes the plan.
    if new_adult is not None:
        dossier.adults.append(new_adult)
    elif same_adult is not None:
        same_adult.email = same_adult.email or email
        same_adult.phone = same_adult.phone or phone
    if child is not None:
        dossier.children.append(child)
