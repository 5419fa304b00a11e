from __future__ import annotations

import uuid

import jwt
import pytest
from servicekit.identity import Identity, InvalidIdentity, sign_identity, verify_identity

SECRET = "s" * 40


def test_round_trip_keeps_user_roles_and_dossier():
    who = Identity(uuid.uuid4(), frozenset({"planning_staff"}), uuid.uuid4())
    assert verify_identity(sign_identity(who, SECRET), SECRET) == who


def test_expired_token_is_refused():
    who = Identity(uuid.uuid4())
    token = sign_identity(who, SECRET, ttl_seconds=60, now=1_000_000)
    with pytest.raises(InvalidIdentity):
        verify_identity(token, SECRET)


def test_forged_or_foreign_tokens_are_refused():
    who = Identity(uuid.uuid4())
    with pytest.raises(InvalidIdentity):
        verify_identity(sign_identity(who, "another-secret-" + "x" * 30), SECRET)
    unsigned = jwt.encode({"sub": str(who.user_id)}, key=None, algorithm="none")
    with pytest.raises(InvalidIdentity):
        verify_identity(unsigned, SECRET)
    with pytest.raises(InvalidIdentity):
        verify_identity("not a token", SECRET)


def test_admin_has_every_role():
    assert Identity(uuid.uuid4(), frozenset({"admin"})).has_role("billing_staff")
    assert not Identity(uuid.uuid4(), frozenset({"planning_staff"})).has_role("billing_staff")
