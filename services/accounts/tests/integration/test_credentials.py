"""Forgotten password, password change, e-mail change."""

from __future__ import annotations

import uuid
from datetime import timedelta

RESET = "/api/accounts/password-resets"
CONFIRM = "/api/accounts/password-resets/confirm"
RESOLVE = "/internal/sessions/resolve"
NEW_PASSWORD = "un tout nouveau secret de famille"


async def test_reset_is_202_for_any_address_and_the_link_works_once(h):
    parent = await h.active_parent()
    before = len(await h.events("accounts.password_reset.requested"))
    _, body = await h.call(
        "POST", RESET, json={"email": f"personne-{h.unique()}@example.org"}, client=h.ip(), expect=202
    )
    assert body == {"status": "accepted"}
    assert len(await h.events("accounts.password_reset.requested")) == before

    await h.call("POST", RESET, json={"email": parent.email.upper()}, client=h.ip(), expect=202)
    event = await h.last_event("accounts.password_reset.requested", user_id=parent.user_id)
    assert set(event["data"]) == {"user_id", "email", "first_name", "last_name", "reset_token", "expires_at"}
    token = event["data"]["reset_token"]

    _, weak = await h.call("POST", CONFIRM, json={"token": token, "new_password": "motdepasse123"}, expect=422)
    assert weak["errors"][0]["field"] == "new_password"
    await h.call("POST", CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}, expect=200)
    await h.call("POST", RESOLVE, json={"token": parent.token}, expect=401)  # every session closed
    await h.call("POST", CONFIRM, json={"token": token, "new_password": NEW_PASSWORD + "!"}, expect=410)
    await h.call("POST", CONFIRM, json={"token": "B" * 43, "new_password": NEW_PASSWORD}, expect=404)
    await h.call(
        "POST",
        "/api/accounts/sessions",
        json={"username": parent.username, "password": NEW_PASSWORD},
        client=h.ip(),
        expect=200,
    )
    changed = await h.last_event("accounts.password.changed", user_id=parent.user_id)
    assert set(changed["data"]) == {"user_id", "email", "first_name", "last_name"}


async def test_reset_links_last_one_hour(h):
    parent = await h.active_parent(login=False)
    await h.call("POST", RESET, json={"email": parent.email}, client=h.ip(), expect=202)
    token = (await h.last_event("accounts.password_reset.requested", user_id=parent.user_id))["data"]["reset_token"]
    h.clock.advance(timedelta(hours=1, seconds=1))
    _, problem = await h.call("POST", CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}, expect=410)
    assert problem["type"].endswith("/reset_token_expired")


async def test_reset_requests_are_capped_silently(h):
    parent = await h.active_parent(login=False)
    for _ in range(5):
        await h.call("POST", RESET, json={"email": parent.email}, client=h.ip(), expect=202)
    assert len(await h.events("accounts.password_reset.requested", user_id=parent.user_id)) == 3


async def test_change_password_keeps_this_session_and_closes_the_others(h):
    parent = await h.active_parent()
    _, other = await h.call(
        "POST",
        "/api/accounts/sessions",
        json={"username": parent.username, "password": parent.password},
        client=h.ip(),
        expect=200,
    )
    url = "/api/accounts/me/password"
    headers = {**parent.headers, "X-Session-Token": parent.token}
    _, wrong = await h.call(
        "POST",
        url,
        json={"current_password": "pas le bon du tout", "new_password": NEW_PASSWORD},
        headers=headers,
        expect=422,
    )
    assert wrong["errors"][0]["field"] == "current_password"
    await h.call(
        "POST",
        url,
        json={"current_password": parent.password, "new_password": parent.username + "-suffixe-long"},
        headers=headers,
        expect=422,
    )
    await h.call(
        "POST",
        url,
        json={"current_password": parent.password, "new_password": NEW_PASSWORD},
        headers=headers,
        expect=200,
    )
    await h.call("POST", RESOLVE, json={"token": parent.token}, expect=200)
    await h.call("POST", RESOLVE, json={"token": other["token"]}, expect=401)
    await h.call("POST", url, json={"current_password": parent.password, "new_password": NEW_PASSWORD}, expect=401)


async def test_change_email_by_a_link_sent_to_the_new_address(h):
    parent = await h.active_parent()
    new_email = f"nouvelle-{h.unique()}@example.org"
    url = "/api/accounts/me/email"
    await h.call(
        "POST", url, json={"new_email": new_email, "password": "pas le bon du tout"}, headers=parent.headers, expect=422
    )
    await h.call(
        "POST",
        url,
        json={"new_email": "pas-une-adresse", "password": parent.password},
        headers=parent.headers,
        expect=422,
    )
    await h.call(
        "POST", url, json={"new_email": new_email, "password": parent.password}, headers=parent.headers, expect=202
    )
    event = await h.last_event("accounts.email_change.requested", user_id=parent.user_id)
    assert set(event["data"]) == {"user_id", "new_email", "first_name", "last_name", "confirm_token", "expires_at"}
    assert event["data"]["new_email"] == new_email
    # nothing changes before the link is followed
    assert await h.pool.fetchval("SELECT email FROM users WHERE id = $1", uuid.UUID(parent.user_id)) == parent.email
    token = event["data"]["confirm_token"]
    _, done = await h.call("POST", "/api/accounts/email-changes/confirm", json={"token": token}, expect=200)
    assert done == {"status": "email_changed", "email": new_email}
    assert await h.pool.fetchval("SELECT email FROM users WHERE id = $1", uuid.UUID(parent.user_id)) == new_email
    changed = await h.last_event("accounts.user.contact_changed", user_id=parent.user_id)
    assert set(changed["data"]) == {"user_id", "email", "first_name", "last_name", "dossier_id"}
    assert changed["data"]["email"] == new_email
    await h.call("POST", "/api/accounts/email-changes/confirm", json={"token": token}, expect=410)


async def test_no_password_ever_travels_in_an_event(h):
    parent = await h.active_parent()
    await h.call(
        "POST",
        "/api/accounts/me/password",
        json={"current_password": parent.password, "new_password": NEW_PASSWORD},
        headers=parent.headers,
        expect=200,
    )
    rows = await h.pool.fetch("SELECT envelope::text AS e FROM outbox")
    for row in rows:
        assert h.PASSWORD not in row["e"] and NEW_PASSWORD not in row["e"]
        assert "password_hash" not in row["e"] and "$argon2" not in row["e"]


async def test_logs_carry_ids_only(h):
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        parent = await h.active_parent()
        await h.call(
            "POST",
            "/api/accounts/sessions",
            json={"username": parent.username, "password": "faux mot de passe"},
            client=h.ip(),
            expect=401,
        )
        await h.call("POST", RESET, json={"email": parent.email}, client=h.ip(), expect=202)
        token = (await h.last_event("accounts.password_reset.requested", user_id=parent.user_id))["data"]["reset_token"]
        await h.call("POST", CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}, expect=200)
    assert any(entry["event"] == "session_opened" for entry in logs)
    text = repr(logs)
    for secret in (
        parent.username,
        parent.email,
        parent.password,
        parent.token,
        token,
        NEW_PASSWORD,
        "Arnaud",
        "Le Derf",
        "MARTIN",
    ):
        assert secret not in text, secret
