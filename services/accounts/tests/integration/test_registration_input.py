"""Registration input (issue 11, point 6): names are person names, some usernames are
reserved, and an address that has an account gets a notice, not a second account."""

from __future__ import annotations

import pytest

REGISTER = "/api/accounts/registrations"
DRAFTS = "/internal/registration-drafts"
PHISHING = "VOTRE COMPTE EST BLOQUÉ, RENDEZ-VOUS SUR HTTP://portail-famille.evil"


@pytest.mark.parametrize("field", ["last_name", "first_name"])
async def test_a_sentence_or_a_link_as_a_name_is_refused_in_french_and_changes_nothing(h, field):
    before = await h.counts()
    body = h.registration(without_dossier=True, **{field: PHISHING})
    _, problem = await h.call("POST", REGISTER, json=body, client=h.ip(), expect=422)
    [error] = problem["errors"]
    assert error["field"] == field and error["code"] == "invalid_person_name"
    assert error["message"].startswith("Un nom ne peut contenir que des lettres")
    assert await h.counts() == before


async def test_reserved_usernames_are_refused_as_reserved(h):
    for username in ("admin", "Admin1", "mairie", "support.mairie"):
        body = h.registration(without_dossier=True, username=username)
        _, problem = await h.call("POST", REGISTER, json=body, client=h.ip(), expect=422)
        [error] = problem["errors"]
        assert error == {
            "field": "username",
            "code": "username_reserved",
            "message": "Ce nom d'utilisateur est réservé. Merci d'en choisir un autre.",
        }


async def test_the_wizard_holds_the_same_rules(h):
    _, created = await h.call("POST", DRAFTS, expect=201)
    draft = created["draft_id"]
    body = h.registration(first_name="http://evil.example", username="admin2")
    for key in ("terms_version", "dossier_number", "dossier_name", "without_dossier"):
        body.pop(key, None)
    _, problem = await h.call("PUT", f"{DRAFTS}/{draft}/identity", json=body, client=h.ip(), expect=422)
    assert {(e["field"], e["code"]) for e in problem["errors"]} == {
        ("first_name", "invalid_person_name"),
        ("username", "username_reserved"),
    }
    step2 = {"dossier_number": "404", "dossier_name": "LE DERF 404"}
    _, problem = await h.call("PUT", f"{DRAFTS}/{draft}/dossier", json=step2, client=h.ip(), expect=422)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("dossier_name", "invalid_person_name")]


async def test_an_address_with_an_account_gets_a_notice_not_a_second_account(h):
    holder = await h.active_parent(with_dossier=False, login=False)
    users = await h.count("users")
    body = h.registration(without_dossier=True, email=holder.email.upper(), first_name="Mallory", last_name="Intrus")
    _, answer = await h.call("POST", REGISTER, json=body, client=h.ip(), expect=201)
    # the same answer as a new registration's (no enumeration) ...
    fresh = h.registration(without_dossier=True)
    _, new_answer = await h.call("POST", REGISTER, json=fresh, client=h.ip(), expect=201)
    assert set(answer) == set(new_answer) and answer["status"] == new_answer["status"] == "pending_activation"
    assert answer["username"] == body["username"] and answer["subscriptions"] == []
    # ... but no second account: the holder is told, with nothing of the attempt
    assert await h.count("users") == users + 1  # only the fresh registration
    assert await h.count("users", "lower(email) = lower($1)", holder.email) == 1
    [notice] = await h.events("accounts.registration.duplicate_attempted", user_id=holder.user_id)
    assert notice["data"] == {
        "user_id": holder.user_id,
        "email": holder.email,
        "first_name": "Arnaud",
        "last_name": "Le Derf",
    }
    assert await h.events("accounts.user.registered", email=body["email"]) == []
    assert await h.events("accounts.user.registered", user_id=answer["user_id"]) == []
