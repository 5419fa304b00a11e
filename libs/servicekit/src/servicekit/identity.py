"""Who is calling: a short-lived token signed by the gateway, verified by each service.

The gateway authenticates people (session cookie or bearer token) and, on each upstream
call, signs a JWT (HS256, PyJWT) with the user id, roles and dossier id, valid for a
minute. Services trust nothing else: identity headers sent by clients are dropped by the
gateway, and a service answers 401 to a missing, forged or expired token.

Where a request came from is signed the same way, because throttles count per client and
an unsigned ``X-Forwarded-For`` could be written by whoever reaches a service directly.
The gateway puts the client's address in the identity (``client_ip`` claim) and, for
every request, signed in or not, in ``X-Portail-Client`` (``sign_client``); a service
believes those two only, and otherwise takes the peer's address (see
``servicekit.requests.client_address``).
"""

from __future__ import annotations

import ipaddress
import time
import uuid
from dataclasses import dataclass, field

import jwt
from aiohttp import web

from .problems import Problem

IDENTITY_HEADER = "X-Portail-Identity"
CLIENT_HEADER = "X-Portail-Client"
ISSUER = "portail-gateway"
AUDIENCE = "portail-services"
ALGORITHM = "HS256"

IDENTITY_KEY = web.RequestKey("identity", object)  # Identity | None
CLIENT_KEY = web.RequestKey("signed_client_address", object)  # str | None
CLIENT_PURPOSE = "client-address"

STAFF_ROLES = frozenset({"accounts_staff", "planning_staff", "billing_staff", "messaging_staff", "admin"})


@dataclass(frozen=True)
class Identity:
    user_id: uuid.UUID
    roles: frozenset[str] = field(default_factory=frozenset)
    dossier_id: uuid.UUID | None = None
    # The caller's address as the gateway saw it (throttles count per client).
    client_ip: str | None = None
    # The gateway's session behind this identity (accounts keeps it open on a password change).
    session_id: uuid.UUID | None = None

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
    if identity.client_ip is not None:
        claims["client_ip"] = identity.client_ip
    if identity.session_id is not None:
        claims["session_id"] = str(identity.session_id)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def sign_client(client_ip: str, secret: str, *, ttl_seconds: int = 60, now: float | None = None) -> str:
    """The ``X-Portail-Client`` value: the caller's address, signed by the gateway."""
    now = time.time() if now is None else now
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "purpose": CLIENT_PURPOSE,
        "client_ip": _address(client_ip),
        "iat": int(now),
        "exp": int(now + ttl_seconds),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _address(raw: object) -> str:
    """A canonical IP address, or ValueError (a claim is never taken as free text)."""
    if not isinstance(raw, str):
        raise ValueError("client_ip is not a string")
    return str(ipaddress.ip_address(raw))


class InvalidIdentity(Exception):
    pass


def _claims(token: str, secret: str, *, leeway: int, required: list[str]) -> dict:
    """The claims of a token the gateway signed, every ``required`` one present."""
    return jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        audience=AUDIENCE,
        issuer=ISSUER,
        leeway=leeway,
        options={"require": ["exp", "iat", "iss", "aud", *required]},
    )


_REFUSED = (jwt.PyJWTError, ValueError, TypeError, AttributeError)


def verify_identity(token: str, secret: str, *, leeway: int = 5) -> Identity:
    try:
        claims = _claims(token, secret, leeway=leeway, required=["sub"])
        dossier = claims.get("dossier_id")
        client_ip = claims.get("client_ip")
        session_id = claims.get("session_id")
        return Identity(
            user_id=uuid.UUID(claims["sub"]),
            roles=frozenset(str(r) for r in claims.get("roles") or []),
            dossier_id=uuid.UUID(dossier) if dossier else None,
            client_ip=_address(client_ip) if client_ip is not None else None,
            session_id=uuid.UUID(session_id) if session_id else None,
        )
    except _REFUSED as exc:
        raise InvalidIdentity(type(exc).__name__) from None


def verify_client(token: str, secret: str, *, leeway: int = 5) -> str:
    """The address an ``X-Portail-Client`` value carries; InvalidIdentity if forged or stale."""
    try:
        claims = _claims(token, secret, leeway=leeway, required=["client_ip", "purpose"])
        if claims["purpose"] != CLIENT_PURPOSE:
            raise ValueError("not a client-address token")
        return _address(claims["client_ip"])
    except _REFUSED as exc:
        raise InvalidIdentity(type(exc).__name__) from None


def _expiry(token: str) -> float:
    """The ``exp`` of a token that has just been verified (so well-formed and signed)."""
    return float(jwt.decode(token, algorithms=[ALGORITHM], options={"verify_signature": False})["exp"])


class VerifiedTokens:
    """Tokens this process verified, with what they said, until they expire.

    Keyed by the exact token string, so an entry exists only for a token whose signature
    was checked; ``leeway`` is the verifier's, and a hit past ``exp + leeway`` is dropped and
    verified again (refused, then). Oldest entries go first past ``max_entries``.
    """

    def __init__(self, verify, *, leeway: int = 5, max_entries: int = 4096, clock=time.time):
        self.verify = verify
        self.leeway = leeway
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[str, tuple[float, object]] = {}

    def __call__(self, token: str):
        entry = self._entries.get(token)
        if entry is not None:
            if self.clock() < entry[0] + self.leeway:
                return entry[1]
            del self._entries[token]
        value = self.verify(token)  # raises InvalidIdentity: nothing remembered
        if len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[token] = (_expiry(token), value)
        return value


class Signer:
    """The gateway's signatures of identities and client addresses, one per claims for a
    few seconds: each token handed out keeps at least ``ttl - reuse`` seconds of validity."""

    def __init__(self, secret: str, ttl_seconds: int, *, reuse_seconds: float = 5.0, max_entries: int = 10_000,
                 clock=time.time):  # fmt: skip
        self.secret = secret
        self.ttl = ttl_seconds
        self.reuse = min(reuse_seconds, ttl_seconds / 4)
        self.max_entries = max_entries
        self.clock = clock
        self._tokens: dict[object, tuple[float, str]] = {}

    def _token(self, key: object, sign) -> str:
        now = self.clock()
        entry = self._tokens.get(key)
        if entry is not None and 0 <= now - entry[0] < self.reuse:
            return entry[1]
        token = sign(now)
        if entry is None and len(self._tokens) >= self.max_entries:
            self._tokens.clear()  # a burst of new callers: a fresh start costs one signature each
        self._tokens[key] = (now, token)
        return token

    def identity(self, identity: Identity) -> str:
        return self._token(identity, lambda now: sign_identity(identity, self.secret, ttl_seconds=self.ttl, now=now))

    def client(self, client_ip: str) -> str:
        """Raises ValueError when ``client_ip`` is not an IP address."""
        return self._token(
            ("client", client_ip), lambda now: sign_client(client_ip, self.secret, ttl_seconds=self.ttl, now=now)
        )


def identity_middleware(secret: str):
    """Attach the verified identity (or None) to each request; never trust a bad token."""
    identities = VerifiedTokens(lambda token: verify_identity(token, secret))
    clients = VerifiedTokens(lambda token: verify_client(token, secret))

    @web.middleware
    async def middleware(request: web.Request, handler):
        token = request.headers.get(IDENTITY_HEADER)
        identity = None
        if token:
            try:
                identity = identities(token)
            except InvalidIdentity:
                raise Problem(
                    401, "unauthenticated", "Votre session n'est pas valide. Merci de vous reconnecter."
                ) from None
        request[IDENTITY_KEY] = identity
        # A stale or forged client header is ignored rather than refused: the request then
        # counts as coming from its peer (the gateway), which only makes throttles stricter.
        client = request.headers.get(CLIENT_HEADER)
        address = None
        if client:
            try:
                address = clients(client)
            except InvalidIdentity:
                address = None
        request[CLIENT_KEY] = address
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
