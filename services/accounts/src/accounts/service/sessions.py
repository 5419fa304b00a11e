"""Login, logout, and the gateway's per-request question « who holds this token? »."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog

from ..domain import sessions as rules
from ..domain import throttle, tokens
from ..domain.errors import AccountNotActivated, BadCredentials, SessionInvalid, TooManyLogins
from ..domain.password_policy import normalise_password
from ..domain.usernames import normalise_username
from ..schemas.internal import ResolvedSession
from ..schemas.public import Session
from ..store.attempts import LOGIN_CLIENT, LOGIN_PAIR, LOGIN_USER
from .deps import Accounts

log = structlog.get_logger(__name__)


async def check_password_throttle(acc: Accounts, uow, username_key: str, client: str, now: datetime) -> None:
    """429 when this client must wait on this username (growing delay after its free
    failures) or failed too often overall; the same for every username, known or not."""
    limits = acc.limits
    since = limits.window_start(now)
    client_wait = throttle.window_retry_after(
        await uow.attempts.nth_most_recent(LOGIN_CLIENT, client, since, limits.login_client_failures), now, limits
    )
    failures, last = await uow.attempts.count_and_last(LOGIN_PAIR, throttle.pair_key(username_key, client), since)
    everywhere = 0
    if failures:
        everywhere, _ = await uow.attempts.count_and_last(LOGIN_USER, username_key, since)
    pair_wait = throttle.login_retry_after(failures, last, now, limits, username_failures=everywhere)
    wait = max((w for w in (client_wait, pair_wait) if w is not None), default=None)
    if wait is not None:
        log.info("login_throttled", by_client=client_wait is not None, by_username=pair_wait is not None)
        raise TooManyLogins(retry_after=wait)


@dataclass(frozen=True)
class PasswordTry:
    """A password guess counted as a failure before it is checked (see ``claim_password_try``)."""

    username_key: str
    client: str
    attempt_ids: list[int]
    user: asyncpg.Record | None


async def claim_password_try(acc: Accounts, username_key: str, client: str, now: datetime) -> PasswordTry:
    """Check the throttle and count this try as a failure, under the client's lock.

    Counting first (and taking the failure back once the password proves right) closes
    the read-then-verify race: a burst of parallel guesses from one client is serialised
    here and each one sees the others, so it gets no extra tries."""
    async with acc.uow() as uow:
        await uow.attempts.lock(f"login:{client}")
        await check_password_throttle(acc, uow, username_key, client, now)
        ids = [
            await uow.attempts.record(kind, key, now)
            for kind, key in (
                (LOGIN_USER, username_key),
                (LOGIN_CLIENT, client),
                (LOGIN_PAIR, throttle.pair_key(username_key, client)),
            )
        ]
        user = await uow.users.by_username(username_key)
        await uow.commit()
    return PasswordTry(username_key, client, ids, user)


async def password_was_right(uow, attempt: PasswordTry) -> None:
    """The try succeeded: it was no failure, and this client's earlier ones are forgiven."""
    await uow.attempts.forget(attempt.attempt_ids)
    await uow.attempts.clear(LOGIN_PAIR, throttle.pair_key(attempt.username_key, attempt.client))


async def login(acc: Accounts, username: str, password: str, *, client: str) -> Session:
    now = acc.now()
    username_key = normalise_username(username)[:200]
    password = normalise_password(password)
    attempt = await claim_password_try(acc, username_key, client, now)
    user = attempt.user
    ok = await acc.verify_password(user["password_hash"] if user else None, password)
    if not ok:
        log.info("login_failed", reason="unknown_user" if user is None else "wrong_password")
        raise BadCredentials()
    async with acc.uow() as uow:
        await password_was_right(uow, attempt)
        await uow.commit()
    if user["status"] == "pending_activation":
        # Said only to someone who proved they know the password.
        raise AccountNotActivated()
    if user["status"] != "active":
        log.info("login_failed", reason="disabled")
        raise BadCredentials()

    token = tokens.new_token()
    expires_at = now + tokens.SESSION_ABSOLUTE_TTL
    new_hash = await acc.hash_password(password) if acc.needs_rehash(user["password_hash"]) else None
    async with acc.uow() as uow:
        if new_hash is not None:
            await uow.users.set_password_hash(user["id"], new_hash, now, changed=False)
        session_id = await uow.sessions.open(
            user_id=user["id"], token_hash=tokens.token_hash(token), now=now, expires_at=expires_at
        )
        await uow.commit()
    log.info("session_opened", user_id=str(user["id"]), session_id=str(session_id), rehashed=new_hash is not None)
    return Session(token=token, expires_at=expires_at)


async def resolve(acc: Accounts, token: str) -> ResolvedSession:
    now = acc.now()
    if not tokens.plausible_token(token):
        raise SessionInvalid()
    async with acc.uow() as uow:
        row = await uow.sessions.find(tokens.token_hash(token))
        if (
            row is None
            or row["status"] != "active"
            or rules.session_expired(
                expires_at=row["expires_at"],
                last_seen_at=row["last_seen_at"],
                revoked=row["revoked_at"] is not None,
                now=now,
            )
        ):
            raise SessionInvalid()
        last_seen = row["last_seen_at"]
        if rules.needs_touch(last_seen, now):
            await uow.sessions.touch(row["id"], now)
            last_seen = now
        await uow.commit()
    return ResolvedSession(
        session_id=row["id"],
        user_id=row["user_id"],
        roles=sorted(row["roles"]),
        dossier_id=row["dossier_id"],
        username=row["username"],
        first_name=row["first_name"],
        mobile_display=row["mobile_display"],
        expires_at=row["expires_at"],
        idle_expires_at=rules.idle_deadline(expires_at=row["expires_at"], last_seen_at=last_seen),
    )


@dataclass(frozen=True)
class Revoked:
    found: bool


async def revoke(acc: Accounts, token: str) -> Revoked:
    """Logout: the token stops working at once, whoever asks again with it."""
    if not tokens.plausible_token(token):
        return Revoked(False)
    async with acc.uow() as uow:
        user_id = await uow.sessions.revoke(tokens.token_hash(token), acc.now())
        await uow.commit()
    if user_id is not None:
        log.info("session_revoked", user_id=str(user_id))
    return Revoked(user_id is not None)
