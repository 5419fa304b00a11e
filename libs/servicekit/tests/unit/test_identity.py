from __future__ import annotations

import time
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


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_verified_tokens_remember_a_good_token_until_it_expires():
    from servicekit.identity import VerifiedTokens

    calls = []

    def verify(token):
        calls.append(token)
        return verify_identity(token, SECRET, leeway=0)

    now = time.time()
    clock = Clock(now)
    tokens = VerifiedTokens(verify, leeway=0, clock=clock)
    who = Identity(uuid.uuid4(), dossier_id=uuid.uuid4())
    token = sign_identity(who, SECRET, ttl_seconds=60, now=now - 30)  # expires at now + 30
    assert tokens(token) == who
    clock.now = now + 29
    assert tokens(token) == who
    assert len(calls) == 1  # the second use cost no verification
    # Past its expiry (by the memory's clock) the token is verified again.
    clock.now = now + 31
    assert tokens(token) == who
    assert len(calls) == 2
    stale = sign_identity(who, SECRET, ttl_seconds=60, now=now - 61)
    with pytest.raises(InvalidIdentity):
        tokens(stale)


def test_verified_tokens_never_remember_a_refused_token():
    from servicekit.identity import VerifiedTokens

    tokens = VerifiedTokens(lambda token: verify_identity(token, SECRET), max_entries=2)
    forged = sign_identity(Identity(uuid.uuid4()), "f" * 40)
    for _ in range(2):
        with pytest.raises(InvalidIdentity):
            tokens(forged)
    # A bounded memory: the oldest token goes first.
    signed = [sign_identity(Identity(uuid.uuid4()), SECRET) for _ in range(3)]
    for token in signed:
        tokens(token)
    assert list(tokens._entries) == signed[1:]


def test_signer_hands_out_one_token_per_claims_for_a_few_seconds_only():
    from servicekit.identity import Signer

    now = 1_900_000_000.0
    clock = Clock(now)
    signer = Signer(SECRET, 60, reuse_seconds=5, clock=clock)
    who = Identity(uuid.uuid4(), dossier_id=uuid.uuid4())
    first = signer.identity(who)
    clock.now = now + 4.9
    assert signer.identity(who) == first
    assert signer.identity(Identity(uuid.uuid4())) != first  # other claims, another token
    assert signer.client("10.0.0.1") == signer.client("10.0.0.1") != signer.client("10.0.0.2")
    clock.now = now + 5
    fresh = signer.identity(who)
    assert fresh != first
    claims = jwt.decode(
        fresh,
        SECRET,
        algorithms=["HS256"],
        audience="portail-services",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iat"] == int(now + 5) and claims["exp"] == int(now + 65)
    # Never more than a quarter of a short lifetime.
    assert Signer(SECRET, 8, reuse_seconds=5).reuse == 2
    with pytest.raises(ValueError):
        signer.client("not an address")
