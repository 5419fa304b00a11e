"""Who is calling: a short-lived token signed by the gateway, verified by each service.

The gateway authenticates people (session cookie or bearer token) and, on each upstream
call, signs a JWT (HS256, PyJWT) with the user id, roles and dossier id, valid for a
minute. Services trust nothing else: identity headers sent by clients are dropped by the
gateway, and a service answers 401 to a missing, forged or expired token.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import jwt
from aiohttp import web

from .problems import Problem

IDENTITY_HEADER = "X-Portail-Identity"
ISSUER = "portail-gateway"
AUDIENCE = "portail-services"
ALGORITHM = "HS256"

IDENTITY_KEY = web.RequestKey("identity", object)  # Identity | None

STAFF_ROLES = frozenset({"accounts_staff", "planning_staff", "billing_staff", "messaging_staff", "admin"})


@dataclass(frozen=True)
class Identity:
    user_id: uuid.UUID
    roles: frozenset[str] = field(default_factory=frozenset)
    dossier_id: uuid.UUID | None = None

    def has_role(self, *roles: str) -> bool:
        return "admin" in self.roles or any(r in self.roles for r in roles)


def sign_identity(identity: Identity, secret: str, *, ttl_seconds: int = 60, now: float | None = None) -> str:
    now = time.time() if now is None else now
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(identity.user_id),
        "roles": sorted(identity.roles),
        "dossier_id": str(identity.dossier_id) if identity.dossier_id else None,
        "iat": int(now),
        "exp": int(now + ttl_seconds),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


class InvalidIdentity(Exception):
    pass


def verify_identity(token: str, secret: str, *, leeway: int = 5) -> Identity:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=leeway,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
        dossier = claims.get("dossier_id")
        return Identity(
            user_id=uuid.UUID(claims["sub"]),
            roles=frozenset(str(r) for r in claims.get("roles") or []),
            dossier_id=uuid.UUID(dossier) if dossier else None,
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidIdentity(type(exc).__name__) from None


def identity_middleware(secret: str):
    """Attach the verified identity (or None) to each request; never trust a bad token."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        token = request.headers.get(IDENTITY_HEADER)
        identity = None
        if token:
            try:
                identity = verify_identity(token, secret)
            except InvalidIdentity:
                raise Problem(401, "unauthenticated", "Votre session n'est pas valide. Merci de vous reconnecter.") from None
        request[IDENTITY_KEY] = identity
        return await handler(request)

    return middleware


def require_identity(request: web.Request) -> Identity:
    identity = request.get(IDENTITY_KEY)
    if identity is None:
        raise Problem(401, "unauthenticated", "Vous devez être connecté pour accéder à cette page.")
    return identity


def require_role(request: web.Request, *roles: str) -> Identity:
    identity = require_identity(request)
    if not identity.has_role(*roles):
        raise Problem(403, "forbidden", "Vous n'avez pas les droits nécessaires pour cette action.")
    return identity


def require_dossier(request: web.Request, dossier_id: uuid.UUID | None = None) -> uuid.UUID:
    """The caller's own dossier id; with ``dossier_id``, 404 unless it is theirs.

    A foreign dossier answers 404, not 403, so that ids of other families cannot be probed.
    """
    identity = require_identity(request)
    if identity.dossier_id is None:
        raise Problem(403, "no_dossier", "Votre compte n'est pas encore rattaché à un dossier famille.")
    if dossier_id is not None and dossier_id != identity.dossier_id:
        raise Problem(404, "not_found", "Cette ressource n'existe pas.")
    return identity.dossier_id
