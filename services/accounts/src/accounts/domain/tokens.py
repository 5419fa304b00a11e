"""Secrets handed to people (links, sessions) and how long they live.

A token is 32 random bytes (256 bits) in URL-safe base64; only its SHA-256 is stored, so
a copy of the database cannot be replayed into an account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

ACTIVATION_TTL = timedelta(hours=24)
PENDING_ACCOUNT_TTL = timedelta(hours=24)
PASSWORD_RESET_TTL = timedelta(hours=1)
EMAIL_CHANGE_TTL = timedelta(hours=24)

SESSION_ABSOLUTE_TTL = timedelta(hours=12)
SESSION_IDLE_TTL = timedelta(minutes=30)
# last_seen is written at most this often, so reading a session is not a write per request.
SESSION_TOUCH_EVERY = timedelta(minutes=1)

TOKEN_MAX_LENGTH = 200


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def plausible_token(token: str) -> bool:
    """Cheap shape check before any lookup (a real token is 43 URL-safe characters)."""
    return 20 <= len(token) <= TOKEN_MAX_LENGTH and all(c.isascii() and (c.isalnum() or c in "-_") for c in token)
