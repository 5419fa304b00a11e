"""Forms posted to the pages, read once before anything else looks at them.

aiohttp parses a form lazily, in whichever code asks first (the CSRF check, then the
handler), and lets the parser's errors out as they are: a multipart body without its
boundary, a part of an unknown charset, bytes that are not UTF-8... each became a 500.
This middleware parses the form of every unsafe request to a page up front (aiohttp keeps
the result, so later reads are free) and turns a body it cannot read into a 400 with the
French sentence of servicekit's form reader. ``/api`` bodies are not read: they go to the
services as they came.
"""

from __future__ import annotations

import asyncio

import structlog
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from servicekit.problems import Problem
from servicekit.requests import BAD_FORM

from .csrf import SAFE_METHODS, unrouted
from .pages import is_api
from .settings import SETTINGS
from .upstream import SLOW_BODY_TITLE

log = structlog.get_logger(__name__)

# What aiohttp's form and multipart readers raise on a body they cannot make sense of:
# ValueError (boundary, part names, UnicodeDecodeError), LookupError (unknown charset),
# HttpProcessingError (a part header line too long), AssertionError (the reader's checks).
UNREADABLE = (ValueError, LookupError, HttpProcessingError, AssertionError)


@web.middleware
async def form_middleware(request: web.Request, handler):
    if request.method not in SAFE_METHODS and not is_api(request) and not unrouted(request):
        try:
            # The whole form within a bound: a client dribbling its body does not hold a
            # handler (and a spooled file) for ever.
            async with asyncio.timeout(request.app[SETTINGS].form_read_seconds):
                await request.post()
        except UNREADABLE as exc:
            log.info("form_unreadable", error=type(exc).__name__)
            raise Problem(400, "invalid_form", BAD_FORM) from None
        except TimeoutError:
            log.info("form_too_slow")
            raise Problem(408, "request_timeout", SLOW_BODY_TITLE) from None
    return await handler(request)
