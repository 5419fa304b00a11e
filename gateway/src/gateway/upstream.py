"""Calls from the gateway to the services: one client session, timeouts, the API proxy.

``/api/<service>/...`` is forwarded as is to the service that owns it: same method, path,
query string and body, streamed both ways. What the gateway changes is the envelope:
hop-by-hop headers go, the caller's credentials and made-up identity or forwarding headers
go, and the gateway adds who is calling (a short-lived signed token), where the request
came from and the request id.

An upstream that does not answer in time is a 504, one that cannot be reached (or answers
garbage) a 502; ``open_upstream`` raises them as ``Problem`` so that the error middlewares
render JSON for the API and a French page for the browser. The typed clients of
``clients/<service>.py`` will call through ``open_upstream`` too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import lru_cache

import aiohttp
import structlog
from aiohttp import hdrs, web
from multidict import CIMultiDict, MultiMapping
from servicekit.identity import CLIENT_HEADER, IDENTITY_HEADER, Signer
from servicekit.logging import REQUEST_ID_HEADER
from servicekit.problems import Problem
from servicekit.web import REQUEST_ID, ReadyCheck
from yarl import URL

from .caller import current_caller, current_identity
from .forwarding import client_address, client_scheme
from .settings import SERVICES, SETTINGS, GatewaySettings

log = structlog.get_logger(__name__)

HTTP_CLIENT = web.AppKey("http_client", aiohttp.ClientSession)
# One token per identity (and per client address) for a few seconds, not one per request.
SIGNER = web.AppKey("identity_signer", Signer)

MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024
# Answers up to this length are read whole and sent in one write; longer ones are streamed.
WHOLE_ANSWER_BYTES = 64 * 1024
READY_PROBE_TIMEOUT_SECONDS = 1.0

# RFC 9110 §7.6.1, plus the non-standard ones still seen in the wild.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)

SESSION_TOKEN_HEADER = "X-Session-Token"

_NOT_FORWARDED_TO_SERVICES = frozenset(
    {
        "host",
        "content-length",
        # The gateway's own server already answered "100 Continue" to the caller.
        "expect",
        IDENTITY_HEADER.lower(),
        REQUEST_ID_HEADER.lower(),
        # Only the gateway may say where a request came from.
        "forwarded",
        "x-real-ip",
        # Credentials are for the gateway: services learn who is calling from the signed
        # identity token only, so a leaked service log or a compromised service never
        # holds a parent's session.
        "cookie",
        "authorization",
        # Names the session accounts must keep or close: only the gateway may say which
        # (the caller's own, see SESSION_TOKEN_OPERATIONS), never a client.
        SESSION_TOKEN_HEADER.lower(),
    }
)

# Accounts' operations that act on "the caller's session" (documented with the
# X-Session-Token header): the password change keeps that one and closes the others.
SESSION_TOKEN_OPERATIONS = frozenset({("POST", "/api/accounts/me/password")})

_NOT_RETURNED_TO_CLIENTS = frozenset({"content-length"})
_DROPPED_TO_SERVICES = HOP_BY_HOP | _NOT_FORWARDED_TO_SERVICES
_DROPPED_TO_CLIENTS = HOP_BY_HOP | _NOT_RETURNED_TO_CLIENTS

# aiohttp's client adds these when absent; a proxy must pass the caller's choice (or its
# absence) through, e.g. not ask for gzip on behalf of a client that cannot decode it.
_NO_AUTO_HEADERS = (hdrs.ACCEPT, hdrs.ACCEPT_ENCODING, hdrs.USER_AGENT, hdrs.CONTENT_TYPE)


def _connection_tokens(headers: MultiMapping[str]) -> set[str]:
    """Header names a sender listed in ``Connection``: hop-by-hop for this hop only."""
    tokens: set[str] = set()
    for value in headers.getall(hdrs.CONNECTION, ()):
        tokens.update(t.strip().lower() for t in value.split(",") if t.strip())
    return tokens


def _end_to_end(headers: MultiMapping[str], dropped: frozenset[str], dropped_prefix: str = "") -> CIMultiDict[str]:
    """``headers`` but the ``dropped`` names, those ``Connection`` lists, those with ``dropped_prefix``."""
    if hdrs.CONNECTION in headers:
        dropped = dropped | _connection_tokens(headers)
    kept: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        lower = name.lower()
        if lower not in dropped and not (dropped_prefix and lower.startswith(dropped_prefix)):
            kept.add(name, value)
    return kept


def _signer(request: web.Request, settings: GatewaySettings) -> Signer:
    """The app's signer, or a one-off one for an app built without ``setup_routes``."""
    signer = request.app.get(SIGNER)
    if signer is None or signer.secret != settings.identity_secret or signer.ttl != settings.identity_ttl_seconds:
        return Signer(settings.identity_secret, settings.identity_ttl_seconds)
    return signer


def _add_forwarding(request: web.Request, headers: CIMultiDict[str], settings: GatewaySettings) -> None:
    """Where the request came from, as the gateway established it (see ``forwarding``).

    One address, never a chain a client could have started: services read the first entry.
    """
    client = client_address(request, settings)
    if client:
        headers["X-Forwarded-For"] = client
        # What services believe (their throttles count per client): the same address, signed,
        # since an X-Forwarded-For can be written by whoever reaches a service directly.
        try:
            headers[CLIENT_HEADER] = _signer(request, settings).client(client)
        except ValueError:  # not an IP address (a unix socket's peer): services use their peer
            pass
    headers["X-Forwarded-Proto"] = client_scheme(request, settings)


def headers_for_service(request: web.Request, settings: GatewaySettings) -> CIMultiDict[str]:
    headers = _end_to_end(request.headers, _DROPPED_TO_SERVICES, "x-forwarded-")  # the gateway says where from
    _add_forwarding(request, headers, settings)
    headers[REQUEST_ID_HEADER] = request[REQUEST_ID]
    identity = current_identity(request)
    if identity is not None:
        headers[IDENTITY_HEADER] = _signer(request, settings).identity(identity)
    caller = current_caller(request)
    if caller is not None and (request.method, request.path) in SESSION_TOKEN_OPERATIONS:
        headers[SESSION_TOKEN_HEADER] = caller.token
    return headers


def headers_for_call(request: web.Request | None, settings: GatewaySettings) -> CIMultiDict[str]:
    """Headers of a call the gateway makes itself (the typed clients): JSON, who and why.

    Unlike ``headers_for_service`` nothing of the caller's own headers is copied; only
    the request id, where the request came from and the signed identity go along.
    """
    headers: CIMultiDict[str] = CIMultiDict({hdrs.ACCEPT: "application/json"})
    if request is None:
        return headers
    _add_forwarding(request, headers, settings)
    request_id = request.get(REQUEST_ID)
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    identity = current_identity(request)
    if identity is not None:
        headers[IDENTITY_HEADER] = _signer(request, settings).identity(identity)
    return headers


def headers_for_client(upstream_headers: MultiMapping[str]) -> CIMultiDict[str]:
    return _end_to_end(upstream_headers, _DROPPED_TO_CLIENTS)


class RequestBodyRefused(Exception):
    pass


SLOW_BODY_TITLE = "La demande a mis trop de temps à arriver. Merci de réessayer."


class CappedBody:
    """The caller's body streamed to the service, refused past ``limit`` bytes or when the
    caller stays silent for ``idle_seconds`` in the middle of it.

    aiohttp's ``client_max_size`` guards only bodies read whole; this one is streamed, so
    it counts as it goes. ``too_large``/``too_slow`` survive the client library wrapping
    the error.
    """

    def __init__(self, stream: aiohttp.StreamReader, limit: int, idle_seconds: float):
        self.stream = stream
        self.limit = limit
        self.idle_seconds = idle_seconds
        self.too_large = False
        self.too_slow = False

    async def chunks(self) -> AsyncIterator[bytes]:
        sent = 0
        while True:
            try:
                async with asyncio.timeout(self.idle_seconds):
                    chunk = await self.stream.readany()
            except TimeoutError:
                self.too_slow = True
                raise RequestBodyRefused from None
            if not chunk:
                return
            sent += len(chunk)
            if sent > self.limit:
                self.too_large = True
                raise RequestBodyRefused
            yield chunk

    def refusal(self) -> Problem | None:
        """The caller's fault, if the upload failed because of the caller."""
        if self.too_large:
            log.info("request_body_too_large", limit=self.limit)
            return Problem(413)
        if self.too_slow:
            log.info("request_body_too_slow", idle_seconds=self.idle_seconds)
            return Problem(408, "request_timeout", SLOW_BODY_TITLE)
        return None


@lru_cache(maxsize=16)  # one setting, two kinds: made once (ClientTimeout is frozen)
def _upstream_timeout(seconds: float, *, streamed: bool) -> aiohttp.ClientTimeout:
    """The service's time, never the caller's.

    ``sock_read`` starts once the request body has been written whole (aiohttp starts
    the read timer after the last byte) and then bounds each silence of the answer; the
    caller's own upload is bounded by ``CappedBody``'s idle timeout instead. A call of the
    gateway's own (bytes in hand) also keeps a total.
    """
    if streamed:
        return aiohttp.ClientTimeout(total=None, connect=seconds, sock_read=seconds)
    return aiohttp.ClientTimeout(total=seconds, connect=seconds, sock_read=seconds)


@asynccontextmanager
async def open_upstream(
    app: web.Application,
    service: str,
    method: str,
    path_qs: str,
    *,
    headers: Mapping[str, str],
    body: CappedBody | bytes | None = None,
) -> AsyncIterator[aiohttp.ClientResponse]:
    """Send one request to ``service``; yield its response with the body still unread.

    ``body`` is the caller's streamed body (the proxy) or the bytes of a typed client's call.
    """
    settings = app[SETTINGS]
    url = URL(settings.service_url(service) + path_qs, encoded=True)
    streamed = isinstance(body, CappedBody)
    try:
        response = await app[HTTP_CLIENT].request(
            method,
            url,
            headers=headers,
            data=body.chunks() if streamed else body,
            allow_redirects=False,
            skip_auto_headers=_NO_AUTO_HEADERS,
            timeout=_upstream_timeout(settings.upstream_timeout_seconds, streamed=streamed),
        )
    except (TimeoutError, aiohttp.ClientError, RequestBodyRefused) as exc:
        refusal = body.refusal() if streamed else None
        if refusal is not None:
            raise refusal from None
        if isinstance(exc, TimeoutError):
            log.warning("upstream_timed_out", service=service, method=method)
            raise Problem(504) from None
        log.warning("upstream_unreachable", service=service, method=method, error=type(exc).__name__)
        raise Problem(502) from None
    try:
        yield response
    finally:
        response.release()


async def proxy(request: web.Request) -> web.StreamResponse:
    """``/api/<service>/<tail>`` → ``<service_url>/api/<service>/<tail>``, streamed."""
    service = request.match_info["service"]
    body = _request_body(request)
    # The routed path itself, so the service sees exactly what the caller asked for.
    path_qs = request.rel_url.raw_path_qs
    headers = headers_for_service(request, request.app[SETTINGS])
    if body is not None and request.content_length is not None:
        # The body goes on byte for byte and aiohttp's parser holds the caller to this
        # length; keeping it spares services a chunked upload.
        headers[hdrs.CONTENT_LENGTH] = str(request.content_length)
    async with open_upstream(request.app, service, request.method, path_qs, headers=headers, body=body) as upstream:
        length = upstream.content_length
        if length is not None and length <= WHOLE_ANSWER_BYTES and request.method != hdrs.METH_HEAD:
            return await _answer_whole(service, upstream)
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
        response.headers.extend(headers_for_client(upstream.headers))
        # The session does not decompress, so the upstream's length is the true length.
        if upstream.content_length is not None:
            response.content_length = upstream.content_length
        try:
            await response.prepare(request)
        except ConnectionResetError:  # the caller left before the answer came back
            log.info("client_disconnected", service=service)
            return response
        await _relay_body(request, service, upstream, response)
        return response


async def _answer_whole(service: str, upstream: aiohttp.ClientResponse) -> web.Response:
    """A small answer of known length (most JSON) goes back in one write with its headers,
    not as a streamed status line then body; a service cut short is a 502, as nothing has
    been sent yet."""
    try:
        body = await upstream.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("upstream_body_interrupted", service=service, error=type(exc).__name__)
        raise Problem(502) from None
    return web.Response(
        status=upstream.status, reason=upstream.reason, body=body, headers=headers_for_client(upstream.headers)
    )


def _request_body(request: web.Request) -> CappedBody | None:
    if not request.body_exists:
        return None
    if request.content_length is not None and request.content_length > MAX_REQUEST_BODY_BYTES:
        raise Problem(413)
    # aiohttp's server decodes a compressed request body itself; forwarding the decoded
    # bytes under the original Content-Encoding would corrupt them, and no service accepts
    # compressed uploads anyway.
    encoding = request.headers.get(hdrs.CONTENT_ENCODING, "identity").strip().lower()
    if encoding != "identity":
        raise Problem(415, detail="Compressed request bodies are not accepted.")
    return CappedBody(request.content, MAX_REQUEST_BODY_BYTES, request.app[SETTINGS].client_body_idle_seconds)


async def _relay_body(
    request: web.Request, service: str, upstream: aiohttp.ClientResponse, response: web.StreamResponse
) -> None:
    while True:
        try:
            chunk = await upstream.content.readany()
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("upstream_body_interrupted", service=service, error=type(exc).__name__)
            # The status line is already sent, so no error response is possible; cutting
            # the connection is the only way to tell the caller the body is incomplete
            # (finishing it normally would make a truncated body look whole).
            if request.transport is not None:
                request.transport.abort()
            return
        if not chunk:
            break
        try:
            await response.write(chunk)
        except ConnectionResetError:
            log.info("client_disconnected", service=service)
            return
    await response.write_eof()


async def http_client_ctx(app: web.Application) -> AsyncIterator[None]:
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=200),
        # Bodies pass through untouched, Content-Encoding and all.
        auto_decompress=False,
        # A shared cookie jar would replay one parent's cookies on another's requests.
        cookie_jar=aiohttp.DummyCookieJar(),
    )
    app[HTTP_CLIENT] = session
    yield
    await session.close()


def ready_checks() -> list[ReadyCheck]:
    """One check per service: its ``/health`` answers 200 within a short delay."""
    return [_health_check(service) for service in SERVICES]


def _health_check(service: str) -> ReadyCheck:
    async def check(app: web.Application) -> None:
        settings = app[SETTINGS]
        timeout = aiohttp.ClientTimeout(total=min(READY_PROBE_TIMEOUT_SECONDS, settings.upstream_timeout_seconds))
        url = settings.service_url(service) + "/health"
        async with app[HTTP_CLIENT].get(url, timeout=timeout, allow_redirects=False) as response:
            if response.status != 200:
                raise ConnectionError("upstream not healthy")

    # servicekit's /ready reports failures under the check's name.
    check.__name__ = service
    return check


def setup_routes(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[SIGNER] = Signer(settings.identity_secret, settings.identity_ttl_seconds)
    services = "|".join(SERVICES)
    app.router.add_route("*", "/api/{service:" + services + "}/{tail:.*}", proxy)
