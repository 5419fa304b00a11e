"""What every typed client shares: one JSON call through ``open_upstream``, one error type.

A service's answer is one of three things for the caller:
- 2xx: the parsed JSON body (``None`` for 204 or an empty body);
- 4xx: ``UpstreamProblem`` carrying the status and the service's problem document, for the
  page to show beside the fields or as a sentence;
- 5xx, timeout, unreachable: ``servicekit.problems.Problem`` (502/503/504), which the
  error middlewares turn into the French error page or a problem document.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from aiohttp import hdrs, web
from servicekit.problems import STATUS_TITLES, Problem

from ..settings import SETTINGS
from ..upstream import headers_for_call, open_upstream

log = structlog.get_logger(__name__)

# A service's JSON answer is small; more than this is a fault, not data to show.
MAX_RESPONSE_BYTES = 2 * 1024 * 1024


class UpstreamProblem(Exception):
    """A 4xx answer of a service, with its problem document (RFC 9457)."""

    def __init__(self, status: int, problem: dict[str, Any] | None = None, *, retry_after: str | None = None):
        self.status = status
        self.problem = problem if isinstance(problem, dict) else {}
        self.retry_after = retry_after
        super().__init__(f"{status} {self.type_name}")

    @property
    def type_name(self) -> str:
        """The last segment of the problem's ``type`` (``account_not_active``...)."""
        type_ = self.problem.get("type")
        if isinstance(type_, str) and type_:
            return type_.rstrip("/").rsplit("/", 1)[-1]
        return STATUS_TITLES.get(self.status, ("error", ""))[0]

    @property
    def title(self) -> str:
        """The service's French sentence, or the generic one of the status."""
        title = self.problem.get("title")
        if isinstance(title, str) and title.strip():
            return title
        return STATUS_TITLES.get(self.status, (None, "Une erreur est survenue."))[1]

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors = self.problem.get("errors")
        if not isinstance(errors, list):
            return []
        return [e for e in errors if isinstance(e, dict)]

    def as_page_error(self) -> Problem:
        """For answers a page has no better use for: the French error page, same status."""
        headers = {"Retry-After": self.retry_after} if self.retry_after else {}
        return Problem(self.status, self.type_name, self.title, headers=headers)


async def call(
    request: web.Request,
    service: str,
    method: str,
    path_qs: str,
    payload: Any = None,
    *,
    headers: dict[str, str] | None = None,
) -> Any:
    """One JSON call to ``service`` on behalf of ``request`` (its id and signed identity)."""
    settings = request.app[SETTINGS]
    sent = headers_for_call(request, settings)
    body = None
    if payload is not None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        sent[hdrs.CONTENT_TYPE] = "application/json"
    sent.update(headers or {})
    async with open_upstream(request.app, service, method, path_qs, headers=sent, body=body) as response:
        raw = await response.content.read(MAX_RESPONSE_BYTES + 1)
        status = response.status
        retry_after = response.headers.get(hdrs.RETRY_AFTER)
    if len(raw) > MAX_RESPONSE_BYTES:
        log.warning("upstream_answer_too_large", service=service, method=method)
        raise Problem(502)
    doc = _parse(raw)
    if 200 <= status < 300:
        if doc is None and raw.strip():
            log.warning("upstream_answer_not_json", service=service, method=method, status=status)
            raise Problem(502)
        return doc
    if 400 <= status < 500:
        problem = UpstreamProblem(status, doc if isinstance(doc, dict) else None, retry_after=retry_after)
        log.info("upstream_refused", service=service, method=method, status=status, problem=problem.type_name)
        raise problem
    log.warning("upstream_failed", service=service, method=method, status=status)
    raise Problem(status if status in (503, 504) else 502)


def _parse(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
