"""A password change closes every OTHER session at once and keeps the caller's, whether
the caller is named by the signed identity (API through the gateway) or by its token
(the gateway's own call for the UI) — issue 11, point 7."""

from __future__ import annotations

import uuid

from servicekit.identity import IDENTITY_HEADER, Identity, sign_identity

RESOLVE = "/internal/sessions/resolve"
CHANGE = "/api/accounts/me/password"
NEW_PASSWORD = "une toute nouvelle phrase secrète"


async def open_session(h, parent) -> dict:
    body = {"username": parent.username, "password": parent.password}
    _, session = await h.call("POST", "/api/accounts/sessions", json=body, client=h.ip(), expect=200)
    _, resolved = await h.call("POST", RESOLVE, json={"token": session["token"]}, expect=200)
    return {**session, "id": resolved["session_id"]}


def signed(h, parent, session_id: str | None) -> dict[str, str]:
    """The identity the gateway signs for a request of this session."""
    who = Identity(
        user_id=uuid.UUID(parent.user_id),
        dossier_id=uuid.UUID(parent.dossier_id) if parent.dossier else None,
        session_id=uuid.UUID(session_id) if session_id else None,
    )
    return {IDENTITY_HEADER: sign_identity(who, h.settings.identity_secret)}


async def test_through_the_api_the_callers_session_is_kept_and_the_others_closed(h):
    parent = await h.active_parent(login=False)
    mine, phone, tablet = [await open_session(h, parent) for _ in range(3)]
    body = {"current_password": parent.password, "new_password": NEW_PASSWORD}
    _, answer = await h.call("POST", CHANGE, json=body, headers=signed(h, parent, mine["id"]), expect=200)
    assert answer["status"] == "password_changed" and answer["user_id"] == parent.user_id
    assert answer["kept_session_id"] == mine["id"]
    assert sorted(answer["closed_session_ids"]) == sorted([phone["id"], tablet["id"]])
    await h.call("POST", RESOLVE, json={"token": mine["token"]}, expect=200)
    for closed in (phone, tablet):
        await h.call("POST", RESOLVE, json={"token": closed["token"]}, expect=401)


async def test_through_the_ui_the_session_named_by_its_token_is_kept(h):
    parent = await h.active_parent(login=False)
    mine, other = [await open_session(h, parent) for _ in range(2)]
    body = {"current_password": parent.password, "new_password": NEW_PASSWORD}
    headers = {**signed(h, parent, None), "X-Session-Token": mine["token"]}
    _, answer = await h.call("POST", CHANGE, json=body, headers=headers, expect=200)
    assert answer["kept_session_id"] == mine["id"] and answer["closed_session_ids"] == [other["id"]]
    await h.call("POST", RESOLVE, json={"token": mine["token"]}, expect=200)
    await h.call("POST", RESOLVE, json={"token": other["token"]}, expect=401)


async def test_another_users_session_cannot_be_kept(h):
    parent, stranger = await h.active_parent(login=False), await h.active_parent(login=False)
    mine = await open_session(h, parent)
    theirs = await open_session(h, stranger)
    body = {"current_password": parent.password, "new_password": NEW_PASSWORD}
    _, answer = await h.call("POST", CHANGE, json=body, headers=signed(h, parent, theirs["id"]), expect=200)
    assert answer["kept_session_id"] is None and answer["closed_session_ids"] == [mine["id"]]
    await h.call("POST", RESOLVE, json={"token": mine["token"]}, expect=401)
    await h.call("POST", RESOLVE, json={"token": theirs["token"]}, expect=200)  # not theirs to close
