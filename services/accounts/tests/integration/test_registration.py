"""Registration, dossier matching and its throttle, activation, expiry and purge."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from accounts.domain.errors import DOSSIER_ALREADY_LINKED, DOSSIER_MISMATCH
from accounts.service.purge import purge_expired

REGISTERED_FIELDS = {
    "user_id",
    "username",
    "email",
    "first_name",
    "last_name",
    "dossier_number",
    "activation_token",
    "expires_at",
}


async def test_registration_with_dossier_answers_the_contract_and_emits_the_event(h):
    dossier = await h.new_dossier(family_name="LE DERF")
    body = h.registration(dossier_number=dossier["number"], dossier_name="  le dérf ")
    _, reg = await h.call("POST", "/api/accounts/registrations", json=body, expect=201)
    assert reg == {
        "user_id": reg["user_id"],
        "username": body["username"],
        "status": "pending_activation",
        "subscriptions": [{"service": "enfance", "dossier_number": dossier["number"], "status": "pending_activation"}],
    }
    event = await h.last_event("accounts.user.registered", user_id=reg["user_id"])
    assert set(event["data"]) == REGISTERED_FIELDS
    assert event["source"] == "accounts" and event["version"] == 1
    data = event["data"]
    assert data["dossier_number"] == dossier["number"] and data["email"] == body["email"]
    assert len(data["activation_token"]) >= 43  # 32 random bytes
    # only the hash of the token is stored, and the acceptance of the terms is recorded
    stored = await h.pool.fetchval("SELECT token_hash FROM user_tokens WHERE user_id = $1", uuid.UUID(reg["user_id"]))
    assert stored == hashlib.sha256(data["activation_token"].encode()).hexdigest()
    acceptance = await h.pool.fetchrow(
        "SELECT terms_version, accepted_at FROM terms_acceptances WHERE user_id = $1", uuid.UUID(reg["user_id"])
    )
    assert acceptance["terms_version"] == body["terms_version"]
    assert body["password"] not in str(event)


async def test_registration_without_dossier_has_no_subscription(h):
    body = h.registration(without_dossier=True)
    _, reg = await h.call("POST", "/api/accounts/registrations", json=body, expect=201)
    assert reg["subscriptions"] == []
    event = await h.last_event("accounts.user.registered", user_id=reg["user_id"])
    assert event["data"]["dossier_number"] is None


async def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(h):
    body = h.registration(without_dossier=True)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    _, first = await h.call("POST", "/api/accounts/registrations", json=body, headers=key, expect=201)
    before = await h.counts()
    resp, again = await h.call("POST", "/api/accounts/registrations", json=body, headers=key, expect=201)
    assert again == first and resp.headers["Idempotent-Replayed"] == "true"
    other = {**body, "first_name": "Autre"}
    _, problem = await h.call("POST", "/api/accounts/registrations", json=other, headers=key, expect=422)
    assert problem["type"].endswith("/idempotency_key_reused")
    assert await h.counts() == before
    # the answer is kept a day, then the purge drops it
    stored = "key = $1"
    assert await h.count("idempotent_requests", stored, key["Idempotency-Key"]) == 1
    h.clock.advance(timedelta(hours=25))
    assert (await purge_expired(h.accounts)).idempotent_requests >= 1
    assert await h.count("idempotent_requests", stored, key["Idempotency-Key"]) == 0


async def test_usernames_are_unique_whatever_the_case_and_suggestions_skip_taken_ones(h):
    last = "Zébulon-" + h.unique("q")
    _, first = await h.call(
        "GET", "/api/accounts/username-suggestions", params={"last_name": last, "first_name": "Arnaud"}, expect=200
    )
    base = first["suggestions"][0]
    assert base.isascii() and base.startswith("zebulon") and first["suggestions"][1] == base + "2"
    await h.call(
        "POST", "/api/accounts/registrations", json=h.registration(username=base, without_dossier=True), expect=201
    )
    _, problem = await h.call(
        "POST",
        "/api/accounts/registrations",
        json=h.registration(username=base.upper(), without_dossier=True),
        expect=422,
    )
    assert [e["field"] for e in problem["errors"]] == ["username"]
    _, after = await h.call(
        "GET", "/api/accounts/username-suggestions", params={"last_name": last, "first_name": "Arnaud"}, expect=200
    )
    assert base not in after["suggestions"] and after["suggestions"][0] == base + "2"
    # The username typed comes first when it is free, and not when it is taken.
    _, typed = await h.call(
        "GET",
        "/api/accounts/username-suggestions",
        params={"last_name": last, "first_name": "Arnaud", "username": "Zeb.Choisi"},
        expect=200,
    )
    assert typed["suggestions"][0] == "zeb.choisi"
    _, taken = await h.call(
        "GET",
        "/api/accounts/username-suggestions",
        params={"last_name": last, "first_name": "Arnaud", "username": base},
        expect=200,
    )
    assert base not in taken["suggestions"] and taken["suggestions"][0] == base + "2"
    await h.call("GET", "/api/accounts/username-suggestions", expect=422)


async def test_password_policy_and_terms_version_are_enforced(h):
    before = await h.counts()
    username = h.unique("pw")
    cases = {
        "court": "password_too_short",
        "motdepasse123": "password_too_common",
        "AZERTYUIOP123": "password_too_common",
        f"xx{username}yy-tres-long": "password_contains_username",
    }
    for password, code in cases.items():
        _, problem = await h.call(
            "POST",
            "/api/accounts/registrations",
            json=h.registration(username=username, password=password, without_dossier=True),
            expect=422,
        )
        assert code in [e["code"] for e in problem["errors"] if e["field"] == "password"], problem
    email = f"{username}@example.org"
    _, problem = await h.call(
        "POST",
        "/api/accounts/registrations",
        json=h.registration(username=h.unique("pw"), email=email, password=email, without_dossier=True),
        expect=422,
    )
    assert "password_is_email" in [e["code"] for e in problem["errors"]]
    _, problem = await h.call(
        "POST",
        "/api/accounts/registrations",
        json=h.registration(terms_version="1999-01", without_dossier=True),
        expect=422,
    )
    assert [e["field"] for e in problem["errors"]] == ["terms_version"]
    # a long passphrase with spaces and accents is welcome
    await h.call(
        "POST",
        "/api/accounts/registrations",
        json=h.registration(password="le chat de la voisine mange des crêpes à 5 heures", without_dossier=True),
        expect=201,
    )
    assert (await h.counts())["users"] == before["users"] + 1


async def test_wrong_dossier_references_get_one_clear_error(h):
    dossier = await h.new_dossier(family_name="DUPONT")
    before = await h.counts()
    for number, name in ((dossier["number"], "DURAND"), ("NOPE" + h.unique()[:8].upper(), "DUPONT")):
        _, problem = await h.call(
            "POST",
            "/api/accounts/registrations",
            json=h.registration(dossier_number=number, dossier_name=name),
            client=h.ip(),
            expect=422,
        )
        assert problem["title"] == DOSSIER_MISMATCH
        assert {(e["field"], e["message"]) for e in problem["errors"]} == {
            ("dossier_number", DOSSIER_MISMATCH),
            ("dossier_name", DOSSIER_MISMATCH),
        }
    assert await h.counts() == before
    # neither both nor none of the ways
    _, problem = await h.call("POST", "/api/accounts/registrations", json=h.registration(), expect=422)
    assert {e["field"] for e in problem["errors"]} == {"dossier_number", "dossier_name"}


async def test_a_dossier_held_by_an_active_account_answers_409(h):
    parent = await h.active_parent(login=False)
    dossier = parent.dossier
    _, problem = await h.call(
        "POST",
        "/api/accounts/registrations",
        json=h.registration(dossier_number=dossier["number"], dossier_name=dossier["family_name"]),
        client=h.ip(),
        expect=409,
    )
    assert problem["title"] == DOSSIER_ALREADY_LINKED


async def test_activation_works_once_then_410_and_unknown_is_404(h):
    _, reg = await h.call("POST", "/api/accounts/registrations", json=h.registration(without_dossier=True), expect=201)
    token = await h.activation_token(reg["user_id"])
    _, ok = await h.call("POST", "/api/accounts/activations", json={"token": token}, expect=200)
    assert ok == {"status": "active"}
    _, used = await h.call("POST", "/api/accounts/activations", json={"token": token}, expect=410)
    assert used["type"].endswith("/activation_token_used") and used["title"]
    _, unknown = await h.call("POST", "/api/accounts/activations", json={"token": "A" * 43}, expect=404)
    assert unknown["type"].endswith("/activation_token_unknown") and "recommencer" in unknown["title"]
    event = await h.last_event("accounts.user.activated", user_id=reg["user_id"])
    assert set(event["data"]) == {"user_id", "username", "email", "first_name", "last_name", "dossier_id"}


async def test_links_expire_after_24_hours_and_pending_accounts_are_purged(h):
    dossier = await h.new_dossier(family_name="MOREAU")
    _, late = await h.call(
        "POST",
        "/api/accounts/registrations",
        json=h.registration(dossier_number=dossier["number"], dossier_name="MOREAU"),
        client=h.ip(),
        expect=201,
    )
    _, kept = await h.call("POST", "/api/accounts/registrations", json=h.registration(without_dossier=True), expect=201)
    active = await h.active_parent(with_dossier=False, login=False)
    late_token = await h.activation_token(late["user_id"])

    h.clock.advance(timedelta(hours=23))
    # staff re-send a link to one pending account: it lives 24 h from now
    await h.call(
        "POST", f"/api/accounts/admin/users/{kept['user_id']}/activation-resend", headers=h.staff(), expect=200
    )
    h.clock.advance(timedelta(hours=1, seconds=1))
    _, expired = await h.call("POST", "/api/accounts/activations", json={"token": late_token}, expect=410)
    assert expired["type"].endswith("/activation_token_expired")

    report = await purge_expired(h.accounts)
    assert report.users >= 1
    assert await h.count("users", "id = $1", uuid.UUID(late["user_id"])) == 0
    assert await h.count("user_tokens", "user_id = $1", uuid.UUID(late["user_id"])) == 0
    assert await h.count("terms_acceptances", "user_id = $1", uuid.UUID(late["user_id"])) == 0
    assert await h.count("users", "id = $1", uuid.UUID(kept["user_id"])) == 1
    assert await h.count("users", "id = $1", uuid.UUID(active.user_id)) == 1
    purged = await h.events("accounts.user.purged", user_id=late["user_id"])
    assert len(purged) == 1 and set(purged[0]["data"]) == {"user_id"}
    # the purged account's link is now unknown, and its username free again
    await h.call("POST", "/api/accounts/activations", json={"token": late_token}, expect=404)
    assert (await purge_expired(h.accounts)).users == 0
    assert len(await h.events("accounts.user.purged", user_id=late["user_id"])) == 1


async def test_an_account_without_dossier_links_it_later(h):
    parent = await h.active_parent(with_dossier=False)
    dossier = await h.new_dossier(family_name="ROUSSEAU")
    link = "/api/accounts/dossier/link"
    await h.call(
        "POST",
        link,
        json={"dossier_number": dossier["number"], "family_name": "ROUSSO"},
        headers=parent.headers,
        client=h.ip(),
        expect=422,
    )
    await h.call("POST", link, json={"dossier_number": dossier["number"], "family_name": "rousseau"}, expect=401)
    _, linked = await h.call(
        "POST",
        link,
        json={"dossier_number": dossier["number"], "family_name": "rousseau"},
        headers=parent.headers,
        client=h.ip(),
        expect=200,
    )
    assert linked == {
        "dossier_id": dossier["id"],
        "subscriptions": [{"service": "enfance", "dossier_number": dossier["number"], "status": "active"}],
    }
    await h.last_event("accounts.user.contact_changed", user_id=parent.user_id, dossier_id=dossier["id"])
    await h.call(
        "POST",
        link,
        json={"dossier_number": dossier["number"], "family_name": "rousseau"},
        headers=parent.headers,
        client=h.ip(),
        expect=422,
    )
    other = await h.active_parent(with_dossier=False)
    _, problem = await h.call(
        "POST",
        link,
        json={"dossier_number": dossier["number"], "family_name": "ROUSSEAU"},
        headers=other.headers,
        client=h.ip(),
        expect=409,
    )
    assert problem["title"] == DOSSIER_ALREADY_LINKED


async def test_registrations_per_client_are_capped_so_activation_mails_cannot_flood(h):
    client = h.ip()
    for _ in range(h.accounts.limits.registrations_per_client):
        await h.call(
            "POST", "/api/accounts/registrations", json=h.registration(without_dossier=True), client=client, expect=201
        )
    users = await h.count("users")
    resp, problem = await h.call(
        "POST", "/api/accounts/registrations", json=h.registration(without_dossier=True), client=client, expect=429
    )
    assert problem["type"].endswith("/too_many_registrations") and int(resp.headers["Retry-After"]) > 0
    assert await h.count("users") == users
    # another client is not affected, and the window passes
    await h.call(
        "POST", "/api/accounts/registrations", json=h.registration(without_dossier=True), client=h.ip(), expect=201
    )
    h.clock.advance(timedelta(minutes=16))
    await h.call(
        "POST", "/api/accounts/registrations", json=h.registration(without_dossier=True), client=client, expect=201
    )
