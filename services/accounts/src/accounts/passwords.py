"""Password hashing with argon2id (argon2-cffi, the reference binding of the PHC winner).

The production profile follows RFC 9106's second recommended option (64 MiB, 3 passes);
the test profile is deliberately cheap so the suite stays fast, and is refused in
production by the settings.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

PROFILES = {
    "production": dict(time_cost=3, memory_cost=64 * 1024, parallelism=4),
    "test": dict(time_cost=1, memory_cost=1024, parallelism=1),
}


def make_hasher(profile: str = "production") -> PasswordHasher:
    return PasswordHasher(type=Type.ID, **PROFILES[profile])


def verify_password(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
