"""Reading the town's dossier CSV: every row checked, a report of every rejected line."""

from __future__ import annotations

from datetime import date

from accounts.domain.csv_import import COLUMNS, parse_dossier_csv

TODAY = date(2026, 9, 1)
HEADER = ";".join(COLUMNS)


def parse(*rows: str, bom: bool = False, header: str = HEADER):
    text = "\r\n".join((header, *rows)) + "\r\n"
    return parse_dossier_csv((("\ufeff" if bom else "") + text).encode(), today=TODAY)


def test_a_good_file_groups_rows_into_dossiers():
    plan = parse(
        "405;MARTIN;Martin;Claire;claire@example.org;0612345678;Léa;Martin;2019-04-02;École Jules Ferry;CE1",
        "405;Martin;Martin;Claire;;;Hugo;Martin;01/09/2021;École Jules Ferry;PS",
        "405;MARTIN;Durand;Paul;paul@example.org;;;;;;",
        "406;LEROY;Leroy;Jean;;01 02 03 04 05;;;;;",
        "",
        bom=True,
    )
    assert plan.report == [] and plan.rows == 4
    martin, leroy = plan.dossiers
    assert martin.number == "405" and [a.first_name for a in martin.adults] == ["Claire", "Paul"]
    assert [c.first_name for c in martin.children] == ["Léa", "Hugo"]
    assert martin.children[1].birth_date == date(2021, 9, 1)
    assert martin.adults[0].phone == "06 12 34 56 78" and leroy.adults[0].phone == "01 02 03 04 05"
    assert leroy.children == []
    assert (plan.adults, plan.children) == (3, 2)


def test_each_bad_row_is_reported_with_its_line():
    plan = parse(
        "405;MARTIN;Martin;Claire;not-an-email;;Léa;Martin;2019-04-02;;",  # line 2
        "406;LEROY;Leroy;Jean;;12;;;;;",  # line 3: phone
        "407;;Petit;Anne;;;;;;;",  # line 4: family name
        "408;BLANC;Blanc;Luc;;;Tom;Blanc;2027-01-01;;",  # line 5: future birth
        "409;NOIR;Noir;Eve;;;Zoé;;2019-01-01;;",  # line 6: child's last name
        "410;ROUX;Roux",  # line 7: columns
        "411;VERT;Vert;Ana;;;Max;Vert;31/02/2019;;",  # line 8: date
        "412;GRIS;Gris;Ines;;;Noé;Gris;2019-01-01;;",
        "412;BRUN;Gris;Ines;;;Ali;Gris;2019-01-01;;",  # line 10: another family name
        "412;GRIS;Gris;Ines;;;Noé;Gris;2019-01-01;;",  # line 11: same child twice
        "41#3;ROSE;Rose;Lea;;;;;;;",  # line 12: number
        "414;ROSE\u202e;Rose;Lea;;;;;;;",  # line 13: hidden character
        "415;" + "X" * 101 + ";Rose;Lea;;;;;;;",  # line 14: too long
    )
    assert [p.line for p in plan.report] == [2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14]
    assert "e-mail" in plan.report[0].reason and "colonnes" in plan.report[5].reason
    assert all(p.reason for p in plan.report)


def test_header_encoding_and_emptiness():
    assert parse("405;MARTIN;Martin;Claire;;;;;;;", header="numero;nom").report[0].line == 1
    assert parse_dossier_csv(b"", today=TODAY).report[0].reason == "Le fichier est vide."
    assert "UTF-8" in parse_dossier_csv("é;".encode("latin-1"), today=TODAY).report[0].reason
    assert parse().report[0].line is None  # a header and nothing else
    upper = parse_dossier_csv((HEADER.upper() + "\n405;MARTIN;Martin;Claire;;;;;;;\n").encode(), today=TODAY)
    assert upper.report == [] and upper.dossiers[0].number == "405"
