from __future__ import annotations

import uuid

import jwt
import pytest
from servicekit.identity import (
    Identity,
    InvalidIdentity,
    sign_client,
    sign_identity,
    verify_client,
    verify_identity,
)

SECRET = "s" * 40


def test_round_trip_keeps_user_roles_and_dossier():
    who = Identity(uuid.uuid4(), frozenset({"planning_staff"}), uuid.uuid4())
    assert verify_identity(sign_identity(who, SECRET), SECRET) == who


def test_client_address_and_session_claims_round_trip_and_are_checked():
    who = Identity(uuid.uuid4(), client_ip="203.0.113.4", session_id=uuid.uuid4())
    assert verify_identity(sign_identity(who, SECRET), SECRET) == who
    assert verify_client(sign_client("2001:DB8::1", SECRET), SECRET) == "2001:db8::1"
    # Not an address, or an identity token offered as a client token: refused.
    bad = jwt.encode(
        {
            "iss": "portail-gateway",
            "aud": "portail-services",
            "sub": str(who.user_id),
            "client_ip": "x; drop",
            "iat": 1,
            "exp": 2**40,
        },
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(InvalidIdentity):
        verify_identity(bad, SECRET)
    with pytest.raises(InvalidIdentity):
        verify_client(sign_identity(who, SECRET), SECRET)
    with pytest.raises(ValueError):
        sign_client("not an address", SECRET)


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
