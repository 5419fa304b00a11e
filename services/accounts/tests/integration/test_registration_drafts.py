"""The registration wizard's drafts: each step validated and saved server-side, then one
account; « Annuler » forgets everything; an old draft is purged."""

from __future__ import annotations

import uuid
from datetime import timedelta

from accounts.demo import TERMS_VERSION
from accounts.service.purge import purge_expired

DRAFTS = "/internal/registration-drafts"


async def new_draft(h) -> str:
    _, body = await h.call("POST", DRAFTS, expect=201)
    return body["draft_id"]


def identity(h, **overrides) -> dict:
    body = h.registration(**overrides)
    del body["terms_version"]
    return body


async def test_walk_through_creates_one_pending_account_and_deletes_the_draft(h):
    dossier = await h.new_dossier(family_name="LE DERF")
    draft = await new_draft(h)
    _, summary = await h.call("GET", f"{DRAFTS}/{draft}", expect=200)
    assert summary["step_done"] == {"identity": False, "dossier": False, "terms": False}

    step1 = identity(h)
    _, summary = await h.call("PUT", f"{DRAFTS}/{draft}/identity", json=step1, expect=200)
    assert summary["step_done"]["identity"] and summary["username"] == step1["username"]
    stored = await h.pool.fetchval("SELECT password_hash FROM registration_drafts")
    assert stored.startswith("$argon2id$") and step1["password"] not in str(summary)

    _, summary = await h.call(
        "PUT",
        f"{DRAFTS}/{draft}/dossier",
        json={"dossier_number": dossier["number"], "dossier_name": "le derf"},
        client=h.ip(),
        expect=200,
    )
    assert summary["dossier_number"] == dossier["number"] and summary["dossier_name"] == "LE DERF"

    _, summary = await h.call(
        "PUT", f"{DRAFTS}/{draft}/terms", json={"terms_version": TERMS_VERSION, "accepted": True}, expect=200
    )
    assert summary["step_done"] == {"identity": True, "dossier": True, "terms": True}

    users_before = await h.count("users")
    _, reg = await h.call("POST", f"{DRAFTS}/{draft}/submit", expect=201)
    assert reg["status"] == "pending_activation"
    assert reg["subscriptions"] == [
        {"service": "enfance", "dossier_number": dossier["number"], "status": "pending_activation"}
    ]
    assert await h.count("users") == users_before + 1
    event = await h.last_event("accounts.user.registered", user_id=reg["user_id"])
    assert event["data"]["username"] == step1["username"]
    # the activated account logs in with the password typed at step 1
    await h.call("POST", "/api/accounts/activations", json={"token": event["data"]["activation_token"]}, expect=200)
    await h.call(
        "POST",
        "/api/accounts/sessions",
        json={"username": step1["username"], "password": step1["password"]},
        client=h.ip(),
        expect=200,
    )
    # the draft is gone: submitting again changes nothing
    await h.call("POST", f"{DRAFTS}/{draft}/submit", expect=404)
    assert await h.count("users") == users_before + 1


async def test_steps_refuse_bad_input_with_field_errors_and_save_nothing(h):
    draft = await new_draft(h)
    _, problem = await h.call(
        "PUT", f"{DRAFTS}/{draft}/identity", json=identity(h, password="motdepasse123"), expect=422
    )
    assert {e["field"] for e in problem["errors"]} == {"password"}
    _, problem = await h.call(
        "PUT",
        f"{DRAFTS}/{draft}/dossier",
        json={"dossier_number": "NOPE-1", "dossier_name": "PERSONNE"},
        client=h.ip(),
        expect=422,
    )
    assert {e["field"] for e in problem["errors"]} == {"dossier_number", "dossier_name"}
    _, problem = await h.call(
        "PUT", f"{DRAFTS}/{draft}/terms", json={"terms_version": TERMS_VERSION, "accepted": False}, expect=422
    )
    assert problem["errors"][0]["field"] == "accepted"
    _, summary = await h.call("GET", f"{DRAFTS}/{draft}", expect=200)
    assert summary["step_done"] == {"identity": False, "dossier": False, "terms": False}
    _, problem = await h.call("POST", f"{DRAFTS}/{draft}/submit", expect=422)
    assert {e["field"] for e in problem["errors"]} == {"identity", "dossier", "terms"}


async def test_without_dossier_and_cancel(h):
    draft = await new_draft(h)
    await h.call("PUT", f"{DRAFTS}/{draft}/identity", json=identity(h), expect=200)
    _, summary = await h.call("PUT", f"{DRAFTS}/{draft}/dossier", json={"without_dossier": True}, expect=200)
    assert summary["without_dossier"] and summary["step_done"]["dossier"] and summary["dossier_number"] is None
    await h.call("DELETE", f"{DRAFTS}/{draft}", expect=204)
    await h.call("GET", f"{DRAFTS}/{draft}", expect=404)


async def test_unknown_or_forged_draft_ids_are_404(h):
    await h.call("GET", f"{DRAFTS}/{uuid.uuid4().hex}{uuid.uuid4().hex}", expect=404)
    await h.call("GET", f"{DRAFTS}/..%2F..%2Fetc", expect=404)


async def test_dossier_step_is_throttled_like_registration(h):
    draft = await new_draft(h)
    client = h.ip()
    for _ in range(h.accounts.limits.dossier_client_tries):
        await h.call(
            "PUT",
            f"{DRAFTS}/{draft}/dossier",
            json={"dossier_number": h.unique("X")[:20], "dossier_name": "X"},
            client=client,
            expect=422,
        )
    resp, _ = await h.call(
        "PUT",
        f"{DRAFTS}/{draft}/dossier",
        json={"dossier_number": h.unique("X")[:20], "dossier_name": "X"},
        client=client,
        expect=429,
    )
    assert int(resp.headers["Retry-After"]) > 0


async def test_old_drafts_are_purged(h):
    draft = await new_draft(h)
    h.clock.advance(timedelta(hours=3))
    report = await purge_expired(h.accounts)
    assert report.drafts >= 1
    h.clock.reset()
    await h.call("GET", f"{DRAFTS}/{draft}", expect=404)
