"""When a session stops being valid: 12 hours after login, or 30 minutes without use."""

from __future__ import annotations

from datetime import datetime

from .tokens import SESSION_IDLE_TTL, SESSION_TOUCH_EVERY


def session_expired(*, expires_at: datetime, last_seen_at: datetime, revoked: bool, now: datetime) -> bool:
    return revoked or now >= expires_at or now >= last_seen_at + SESSION_IDLE_TTL


def needs_touch(last_seen_at: datetime, now: datetime) -> bool:
    return now - last_seen_at >= SESSION_TOUCH_EVERY


def idle_deadline(*, expires_at: datetime, last_seen_at: datetime) -> datetime:
    return min(expires_at, last_seen_at + SESSION_IDLE_TTL)
