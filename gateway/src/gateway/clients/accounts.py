"""The accounts service, as the gateway calls it: one function per call of its contract.

Public calls go to ``/api/accounts/...`` with the caller's signed identity; ``/internal/...``
calls (session resolution, registration drafts) are the gateway's alone: the proxy only
forwards ``/api/<service>/...``, so no client can reach them through the gateway.
Each function returns the parsed JSON or raises ``UpstreamProblem`` (4xx) / ``Problem`` (5xx).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from ..caller import SessionInfo
from .base import UpstreamProblem, call

SERVICE = "accounts"

# Draft ids come back from the browser (a cookie): only plain ids go into a path.
_DRAFT_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


class InvalidDraftId(ValueError):
    pass


def _draft_path(draft_id: str, tail: str = "") -> str:
    if not _DRAFT_ID.match(draft_id):
        raise InvalidDraftId
    return f"/internal/registration-drafts/{quote(draft_id, safe='')}{tail}"


# --- sessions -------------------------------------------------------------------------


async def create_session(request: web.Request, username: str, password: str) -> dict[str, Any]:
    """``{"token", "expires_at"}``; 401 wrong credentials, 403 not active, 429 throttled."""
    return await call(request, SERVICE, "POST", "/api/accounts/sessions", {"username": username, "password": password})


async def resolve_session(request: web.Request, token: str) -> SessionInfo | None:
    """What a session token stands for, or ``None`` when accounts does not know it."""
    try:
        doc = await call(request, SERVICE, "POST", "/internal/sessions/resolve", {"token": token})
    except UpstreamProblem as problem:
        if problem.status in (401, 404):
            return None
        raise
    return parse_session(doc)


def parse_session(doc: Any) -> SessionInfo | None:
    try:
        dossier = doc.get("dossier_id")
        expires_at = datetime.fromisoformat(doc["expires_at"])
        return SessionInfo(
            user_id=uuid.UUID(str(doc["user_id"])),
            roles=frozenset(str(r) for r in doc.get("roles") or ()),
            dossier_id=uuid.UUID(str(dossier)) if dossier else None,
            username=str(doc.get("username") or ""),
            first_name=str(doc.get("first_name") or ""),
            mobile_display=bool(doc.get("mobile_display")),
            expires_at=expires_at,
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


async def delete_current_session(request: web.Request, token: str) -> None:
    await call(request, SERVICE, "DELETE", "/api/accounts/sessions/current", headers={"X-Session-Token": token})


async def revoke_session(request: web.Request, token: str) -> None:
    await call(request, SERVICE, "POST", "/internal/sessions/revoke", {"token": token})


# --- registration wizard (drafts kept by accounts, the password hashed at once) -------


async def create_draft(request: web.Request) -> str:
    doc = await call(request, SERVICE, "POST", "/internal/registration-drafts")
    return str(doc["draft_id"])


async def get_draft(request: web.Request, draft_id: str) -> dict[str, Any]:
    return await call(request, SERVICE, "GET", _draft_path(draft_id))


async def put_draft_identity(request: web.Request, draft_id: str, identity: dict[str, Any]) -> dict[str, Any]:
    return await call(request, SERVICE, "PUT", _draft_path(draft_id, "/identity"), identity)


async def put_draft_dossier(request: web.Request, draft_id: str, dossier: dict[str, Any]) -> dict[str, Any]:
    return await call(request, SERVICE, "PUT", _draft_path(draft_id, "/dossier"), dossier)


async def put_draft_terms(request: web.Request, draft_id: str, terms_version: str) -> dict[str, Any]:
    payload = {"terms_version": terms_version, "accepted": True}
    return await call(request, SERVICE, "PUT", _draft_path(draft_id, "/terms"), payload)


async def submit_draft(request: web.Request, draft_id: str) -> dict[str, Any]:
    return await call(request, SERVICE, "POST", _draft_path(draft_id, "/submit"))


async def delete_draft(request: web.Request, draft_id: str) -> None:
    await call(request, SERVICE, "DELETE", _draft_path(draft_id))


async def username_suggestions(request: web.Request, last_name: str, first_name: str, wanted: str = "") -> list[str]:
    """Free usernames; ``wanted`` (the one typed) comes first when it is free."""
    params = {"last_name": last_name, "first_name": first_name} | ({"username": wanted} if wanted else {})
    query = urlencode(params)
    doc = await call(request, SERVICE, "GET", f"/api/accounts/username-suggestions?{query}")
    return [str(s) for s in (doc or {}).get("suggestions") or []]


async def get_terms(request: web.Request) -> dict[str, Any]:
    return await call(request, SERVICE, "GET", "/api/accounts/terms")


# --- tokens sent by e-mail ------------------------------------------------------------


async def activate(request: web.Request, token: str, password: str | None = None) -> dict[str, Any]:
    """``password`` only for accounts made by staff, whose holder chooses it here."""
    payload = {"token": token} if password is None else {"token": token, "password": password}
    return await call(request, SERVICE, "POST", "/api/accounts/activations", payload)


async def resend_activation(request: web.Request, email: str) -> None:
    """« Renvoyer l'e-mail »: 202 whether a pending account uses the address or not."""
    await call(request, SERVICE, "POST", "/api/accounts/activation-resends", {"email": email})


async def request_password_reset(request: web.Request, email: str) -> None:
    await call(request, SERVICE, "POST", "/api/accounts/password-resets", {"email": email})


async def confirm_password_reset(request: web.Request, token: str, new_password: str) -> None:
    payload = {"token": token, "new_password": new_password}
    await call(request, SERVICE, "POST", "/api/accounts/password-resets/confirm", payload)


async def confirm_email_change(request: web.Request, token: str) -> None:
    await call(request, SERVICE, "POST", "/api/accounts/email-changes/confirm", {"token": token})


# --- the signed-in parent -------------------------------------------------------------


async def get_me(request: web.Request) -> dict[str, Any]:
    return await call(request, SERVICE, "GET", "/api/accounts/me")


async def change_password(request: web.Request, current_password: str, new_password: str, session_token: str) -> None:
    """Accounts closes the user's other sessions and keeps the one named in X-Session-Token."""
    payload = {"current_password": current_password, "new_password": new_password}
    headers = {"X-Session-Token": session_token}
    await call(request, SERVICE, "POST", "/api/accounts/me/password", payload, headers=headers)


async def change_email(request: web.Request, new_email: str, password: str) -> None:
    await call(request, SERVICE, "POST", "/api/accounts/me/email", {"new_email": new_email, "password": password})


async def get_dossier(request: web.Request) -> dict[str, Any]:
    return await call(request, SERVICE, "GET", "/api/accounts/dossier")


async def patch_dossier(request: web.Request, changes: dict[str, Any]) -> dict[str, Any]:
    return await call(request, SERVICE, "PATCH", "/api/accounts/dossier", changes)


async def link_dossier(request: web.Request, dossier_number: str, family_name: str) -> dict[str, Any]:
    payload = {"dossier_number": dossier_number, "family_name": family_name}
    return await call(request, SERVICE, "POST", "/api/accounts/dossier/link", payload)


async def dossier_history(request: web.Request) -> dict[str, Any]:
    return await call(request, SERVICE, "GET", "/api/accounts/dossier/history")
