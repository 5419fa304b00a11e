"""Who the client is, network-wise: its address, and the scheme it used.

The peer of the gateway's socket is the client, unless it is one of the reverse proxies
named in ``GATEWAY_TRUSTED_PROXIES`` (CIDR list, empty by default): then ``X-Forwarded-For``
says who came before it. The list is read from the right (the entry added by the nearest
proxy) and every trusted hop is skipped; the first address that is not a trusted proxy is
the client. Whatever a client writes further left is its own claim and is ignored, and
an ``X-Forwarded-For`` arriving from an untrusted peer is ignored whole: otherwise any
visitor could pick the address that throttles count against.

Services learn the result from the gateway only (``upstream`` replaces every incoming
forwarding header with its own single-address ``X-Forwarded-For``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from aiohttp import web

from .settings import SETTINGS, GatewaySettings, Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_CLIENT = web.RequestKey("gateway_client_address", str)


@lru_cache(maxsize=1024)  # the same few peers and hops on every request; pure, and bounded
def _address(value: str | None) -> Address | None:
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket: the address throttles and logs know.
    return address.ipv4_mapped or address if isinstance(address, ipaddress.IPv6Address) else address


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def resolve_client(peer: str | None, forwarded_for: Iterable[str], networks: tuple[Network, ...]) -> str | None:
    """The client's address, given the socket's peer and the X-Forwarded-For headers."""
    address = _address(peer)
    if address is None:
        return peer
    if not _trusted(address, networks):
        return _text(address)
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        previous = _address(hop)
        if previous is None:
            # Garbage where an address should be: the last hop known for sure stands.
            break
        address = previous
        if not _trusted(address, networks):
            break
    return _text(address)


@lru_cache(maxsize=1024)
def _text(address: Address) -> str:
    return str(address)


def client_address(request: web.Request, settings: GatewaySettings | None = None) -> str | None:
    """The client's address for this request (computed once)."""
    if _CLIENT not in request:
        networks = (settings or request.app[SETTINGS]).trusted_proxy_networks
        request[_CLIENT] = resolve_client(request.remote, request.headers.getall("X-Forwarded-For", ()), networks)
    return request[_CLIENT]


def client_scheme(request: web.Request, settings: GatewaySettings | None = None) -> str:
    """``https`` when a trusted proxy says it terminated TLS, else the socket's scheme."""
    networks = (settings or request.app[SETTINGS]).trusted_proxy_networks
    peer = _address(request.remote) if networks else None
    if peer is not None and _trusted(peer, networks):
        claimed = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        if claimed in ("http", "https"):
            return claimed
    return request.scheme
