"""Login, logout, session resolution for the gateway, timeouts and password throttling."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from accounts.domain.errors import BAD_CREDENTIALS
from accounts.passwords import make_hasher
from argon2 import PasswordHasher, Type

LOGIN = "/api/accounts/sessions"
RESOLVE = "/internal/sessions/resolve"


def comparable(problem: dict) -> dict:
    return {k: v for k, v in problem.items() if k not in ("request_id",)}


async def login(h, username, password, *, client=None, expect=None):
    return await h.call(
        "POST", LOGIN, json={"username": username, "password": password}, client=client or h.ip(), expect=expect
    )


async def test_login_resolve_logout(h):
    parent = await h.active_parent()
    _, session = await login(h, parent.username.upper(), parent.password, expect=200)
    assert set(session) == {"token", "expires_at"}
    assert datetime.fromisoformat(session["expires_at"]) == h.clock.now + timedelta(hours=12)
    assert session["token"] != parent.token  # a new session at every login
    assert await h.count("sessions", "user_id = $1", uuid.UUID(parent.user_id)) == 2
    _, who = await h.call("POST", RESOLVE, json={"token": session["token"]}, expect=200)
    assert {k: who[k] for k in ("user_id", "roles", "dossier_id", "username", "first_name", "mobile_display")} == {
        "user_id": parent.user_id,
        "roles": [],
        "dossier_id": parent.dossier_id,
        "username": parent.username,
        "first_name": "Arnaud",
        "mobile_display": False,
    }
    assert "expires_at" in who
    # the token never sits in the database
    assert await h.count("sessions", "token_hash = $1", session["token"]) == 0

    await h.call("DELETE", "/api/accounts/sessions/current", headers={"X-Session-Token": session["token"]}, expect=204)
    await h.call("POST", RESOLVE, json={"token": session["token"]}, expect=401)
    await h.call("POST", RESOLVE, json={"token": parent.token}, expect=200)  # the other session lives on
    await h.call("POST", "/internal/sessions/revoke", json={"token": parent.token}, expect=204)
    await h.call("POST", RESOLVE, json={"token": parent.token}, expect=401)
    await h.call("DELETE", "/api/accounts/sessions/current", expect=400)


async def test_unknown_user_and_wrong_password_get_the_same_answer(h):
    parent = await h.active_parent(login=False)
    _, unknown = await login(h, "nobody-" + h.unique(), "whatever it is here", expect=401)
    _, wrong = await login(h, parent.username, "not the right password", expect=401)
    assert comparable(unknown) == comparable(wrong)
    assert unknown["title"] == BAD_CREDENTIALS
    # pending: the same 401 for a wrong password, a distinct 403 only with the right one
    _, reg = await h.call("POST", "/api/accounts/registrations", json=h.registration(without_dossier=True), expect=201)
    pending = await h.pool.fetchval("SELECT username FROM users WHERE id = $1", uuid.UUID(reg["user_id"]))
    _, pending_wrong = await login(h, pending, "not the right password", expect=401)
    assert comparable(pending_wrong) == comparable(wrong)
    _, pending_right = await login(h, pending, h.PASSWORD, expect=403)
    assert pending_right["type"].endswith("/account_not_activated")
    # disabled: the same 401 even with the right password
    await h.call("POST", f"/api/accounts/admin/users/{parent.user_id}/deactivate", headers=h.staff(), expect=200)
    _, disabled = await login(h, parent.username, parent.password, expect=401)
    assert comparable(disabled) == comparable(wrong)


async def test_idle_timeout_and_last_seen_written_at_most_once_a_minute(h):
    parent = await h.active_parent()
    token = {"token": parent.token}
    seen = "SELECT last_seen_at FROM sessions WHERE user_id = $1"
    first = await h.pool.fetchval(seen, uuid.UUID(parent.user_id))
    h.clock.advance(timedelta(seconds=30))
    await h.call("POST", RESOLVE, json=token, expect=200)
    assert await h.pool.fetchval(seen, uuid.UUID(parent.user_id)) == first  # no write within the minute
    h.clock.advance(timedelta(minutes=29))
    await h.call("POST", RESOLVE, json=token, expect=200)  # 29.5 min idle: still valid, now touched
    assert await h.pool.fetchval(seen, uuid.UUID(parent.user_id)) > first
    h.clock.advance(timedelta(minutes=29))
    await h.call("POST", RESOLVE, json=token, expect=200)
    h.clock.advance(timedelta(minutes=30))
    await h.call("POST", RESOLVE, json=token, expect=401)


async def test_absolute_timeout_after_12_hours_even_when_used(h):
    parent = await h.active_parent()
    for _ in range(35):  # 11 h 40 of steady use
        h.clock.advance(timedelta(minutes=20))
        await h.call("POST", RESOLVE, json={"token": parent.token}, expect=200)
    h.clock.advance(timedelta(minutes=20, seconds=1))
    await h.call("POST", RESOLVE, json={"token": parent.token}, expect=401)


async def test_old_hash_parameters_are_upgraded_at_login(h):
    parent = await h.active_parent(login=False)
    old = PasswordHasher(type=Type.ID, time_cost=2, memory_cost=2048, parallelism=1).hash(parent.password)
    await h.pool.execute("UPDATE users SET password_hash = $2 WHERE id = $1", uuid.UUID(parent.user_id), old)
    await login(h, parent.username, parent.password, expect=200)
    new = await h.pool.fetchval("SELECT password_hash FROM users WHERE id = $1", uuid.UUID(parent.user_id))
    assert new != old and not make_hasher("test").check_needs_rehash(new)
