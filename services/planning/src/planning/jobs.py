"""The background jobs: the expiry of held baskets (and of stored Idempotency-Key answers),
and the weekly booking reminder.

Each is a loop in a ``cleanup_ctx`` (servicekit.worker.background) that runs one round per
interval; a round's failure is logged (by class only) and retried at the next one. The
rounds themselves are use cases tests call with their own clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from servicekit.idempotency import IdempotencyRecords
from servicekit.service import SETTINGS
from servicekit.worker import background

from .service.payments import expire_baskets
from .service.reminders import reminder_due, send_booking_reminders
from .web import planning_of_app

log = structlog.get_logger(__name__)


async def every(seconds: float, name: str, round_: Callable[[], Awaitable[object]]) -> None:
    while True:
        try:
            await round_()
        except Exception as exc:  # a bad round must not stop the job (cancellation still does)
            log.error("job_round_failed", job=name, error=type(exc).__name__)
        await asyncio.sleep(seconds)


async def expiry_ctx(app: web.Application):
    settings = app[SETTINGS]

    async def round_() -> None:
        p = planning_of_app(app)
        expired = await expire_baskets(p)
        if expired:
            log.info("baskets_expired", count=expired)
        async with p.pool.acquire() as conn:  # « Payer »'s stored answers past their 24 h
            await IdempotencyRecords(conn).purge_expired()

    async with background(every(settings.expiry_interval_seconds, "expiry", round_), name="planning-basket-expiry"):
        yield


async def reminder_ctx(app: web.Application):
    settings = app[SETTINGS]
    if not settings.reminder_weekday:
        yield
        return

    async def round_() -> None:
        p = planning_of_app(app)
        if reminder_due(p.now(), settings.reminder_weekday, settings.reminder_time):
            sent = await send_booking_reminders(p)
            if sent:
                log.info("booking_reminders_sent", count=sent)

    task = every(settings.reminder_interval_seconds, "reminder", round_)
    async with background(task, name="planning-booking-reminder"):
        yield
