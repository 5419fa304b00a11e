"""Registration input (issue 11, point 6): person names, reserved usernames."""

from __future__ import annotations

import pytest
from accounts.domain.names import person_name_problem
from accounts.domain.usernames import candidates, username_reserved


@pytest.mark.parametrize(
    "name",
    [
        "Le Derf",
        "Arnaud",
        "Jean-Pierre",
        "O’Neil",
        "D'Artagnan",
        "J.-P.",
        "St. Jean",
        "Zoë",
        "Nguyễn",
        "李小龍",
        "محمد",
        "Łukasz",
        "Ægir",
        "de La Tour d'Auvergne",
    ],
)
def test_person_names_of_any_script_are_accepted(name):
    assert person_name_problem(name) is None


@pytest.mark.parametrize(
    "name",
    [
        "VOTRE COMPTE EST BLOQUÉ, RENDEZ-VOUS SUR HTTP://portail-famille.evil",
        "https://evil.example",
        "www.evil.fr",
        "Arnaud2",
        "Louis XIV 14",
        "a@b.fr",
        "Le Derf!",
        "-Arnaud",
        "'Arnaud",
        "x" * 61,
        "Jean (voir pièce jointe)",
        "Zoë 😀",
    ],
)
def test_anything_else_is_refused_in_french(name):
    problem = person_name_problem(name)
    assert problem is not None
    code, message = problem
    assert code in {"invalid_person_name", "name_too_long"}
    assert message[0].isupper() and message.endswith(".")


@pytest.mark.parametrize(
    "username",
    [
        "admin",
        "admin1",
        "admin_2",
        "ad.min",
        "administrateur",
        "root",
        "mairie",
        "support",
        "webmaster",
        "postmaster",
        "contact",
        "agent",
        "staff",
        "portail",
        "admin.lederf",
        "mairie-puiseux",
        "portail2026",
        "arnaud.admin9",
    ],
)
def test_reserved_usernames(username):
    assert username_reserved(username)


@pytest.mark.parametrize("username", ["lederf", "arnaud.lederf", "contact.dupont", "rootkit", "supporter", "agentil"])
def test_ordinary_usernames_are_not_reserved(username):
    assert not username_reserved(username)


def test_suggestions_never_offer_a_reserved_username():
    assert not any(username_reserved(u) for u in candidates("Mairie", "Admin"))
    assert candidates("Le Derf", "Arnaud")[0] == "lederf"
