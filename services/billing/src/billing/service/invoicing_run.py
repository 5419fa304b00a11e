"""The monthly invoicing run: every family with something to invoice for a month gets its one
invoice, ``batch_size`` families per transaction (service.invoices.issue_batch: read in bulk,
priced in memory, numbered as one block, written with COPY), ``in_flight`` batches at once
(one reads and prices while the one before holds the numbering lock and writes), with
progress on the run's row (families_total, families_done, invoices, total_cents, errors)
committed with each batch; then
the PDFs are rendered (service.invoices.render_missing, each stored with its
``billing.invoice.issued``).

Started by staff (``POST /api/billing/admin/invoicing-runs``: 202 at once, the run goes on in the
background) or by the schedule (:func:`schedule_loop`: from the configured day and hour of each
month, Europe/Paris, the previous month once). Two runs of the same month at once are safe: a
batch's numbers are taken under the numbering counter's lock after leaving out the families
already invoiced, and the (dossier, month) unique index guards the rest, so the second run finds
them issued and skips them. A run that stops half-way (crash, shutdown) has committed whole
batches only: a new run lists the families still without their invoice and goes on from there,
with no gap and no duplicate. A family that cannot be invoiced (no tariff for an activity, its
file unknown yet) is counted in ``errors`` and the run ends ``failed``; a later run invoices it.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import structlog

from ..domain.errors import InvalidInput, NotFound
from ..domain.invoicing import month_start, next_month, previous_month
from ..domain.ledger import PARIS
from ..store.invoices import Runs, families_to_invoice
from . import invoices
from .deps import Billing

log = structlog.get_logger(__name__)


class RunNotFound(NotFound):
    code = "invoicing_run_not_found"
    message = "Ce lancement de facturation est introuvable."


class MonthInFuture(InvalidInput):
    code = "invoicing_month_in_future"
    message = "On ne peut facturer qu'un mois passé ou le mois en cours."


async def start(ctx: Billing, month: date, *, by: uuid.UUID | None, trigger: str = "staff") -> uuid.UUID | None:
    """Record the run (None when the schedule already ran this month) and return its id; the
    caller runs :func:`run` (in the background for the HTTP route)."""
    month = month_start(month)
    if month > ctx.now().astimezone(PARIS).date().replace(day=1):
        raise MonthInFuture()
    run_id = uuid.uuid4()
    async with ctx.uow() as uow:
        if not await uow.runs.start(run_id=run_id, month=month, trigger=trigger, by=by, at=ctx.now()):
            return None
        await uow.commit()
    return run_id


# Runs started by staff go on after the 202; kept here so they are not garbage-collected.
_RUNNING: set[asyncio.Task] = set()


def spawn(ctx: Billing, run_id: uuid.UUID, month: date) -> None:
    task = asyncio.create_task(run(ctx, run_id, month_start(month)), name=f"invoicing-run-{run_id}")
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)


async def stop_running() -> None:
    """At shutdown: staff runs still going are cancelled and marked failed (a new run resumes:
    the invoices already issued are not issued again)."""
    for task in list(_RUNNING):
        task.cancel()
    if _RUNNING:
        await asyncio.gather(*_RUNNING, return_exceptions=True)


async def run(ctx: Billing, run_id: uuid.UUID, month: date) -> None:
    try:
        await issue_all(ctx, run_id, month)
        await invoices.render_missing(ctx)
        async with ctx.read() as conn:
            await Runs(conn).finish(run_id, ctx.now())
    except (Exception, asyncio.CancelledError) as exc:  # the database went away, or shutdown
        log.error("invoicing_run_failed", run_id=str(run_id), error=type(exc).__name__)
        async with ctx.read() as conn:
            await Runs(conn).fail(run_id, ctx.now())
        if isinstance(exc, asyncio.CancelledError):
            raise


async def issue_all(ctx: Billing, run_id: uuid.UUID, month: date) -> int:
    """The run's database work: every family still to invoice, batch after batch → invoices issued."""
    async with ctx.read() as conn:
        dossiers = await families_to_invoice(conn, month, next_month(month))
        await Runs(conn).progress(run_id, total=len(dossiers))
    size, slots = ctx.invoicing_batch_size, asyncio.Semaphore(ctx.invoicing_in_flight)

    async def batch(part: list[uuid.UUID]) -> int:
        async with slots:
            return len((await invoices.issue_batch(ctx, run_id, month, part)).issued)

    # ``invoicing_in_flight`` batches at once, each its own transaction: while one waits for the
    # numbering counter's lock (held by the one before until it commits), it has read and priced
    # its families — the database writes one batch while Python prices the next. A batch that
    # fails cancels the others (their transactions roll back, whole) and the run fails.
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(batch(dossiers[i : i + size])) for i in range(0, len(dossiers), size)]
    except ExceptionGroup as failed:  # the first batch's error, as one batch at a time would raise it
        raise failed.exceptions[0] from None
    return sum(task.result() for task in tasks)


async def status(ctx: Billing, run_id: uuid.UUID) -> dict | None:
    async with ctx.uow() as uow:
        row = await uow.runs.get(run_id)
    if row is None:
        return None
    return {
        "id": str(row["id"]),
        "month": row["month"].strftime("%Y-%m"),
        "status": row["status"],
        "trigger": row["trigger"],
        "invoices": row["invoices"],
        "total_cents": row["total_cents"],
        "families_total": row["families_total"],
        "families_done": row["families_done"],
        "errors": row["errors"],
        "started_at": row["started_at"].isoformat(),
        "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
    }


def due_month(ctx: Billing, *, day: int, hour: int) -> date | None:
    """The month the schedule should invoice now (the previous one, from ``day`` at ``hour``)."""
    now = ctx.now().astimezone(PARIS)
    if (now.day, now.hour) < (day, hour):
        return None
    return previous_month(now.date())


async def scheduled_round(ctx: Billing, *, day: int, hour: int) -> uuid.UUID | None:
    month = due_month(ctx, day=day, hour=hour)
    if month is None:
        return None
    async with ctx.uow() as uow:
        if await uow.runs.scheduled_exists(month):
            return None
    run_id = await start(ctx, month, by=None, trigger="schedule")
    if run_id is not None:
        log.info("invoicing_run_scheduled", month=month.strftime("%Y-%m"))
        await run(ctx, run_id, month)
    return run_id


async def schedule_loop(ctx_of, *, day: int, hour: int, every: float) -> None:
    while True:
        try:
            await scheduled_round(ctx_of(), day=day, hour=hour)
        except Exception as exc:  # retried at the next round
            log.error("invoicing_schedule_round_failed", error=type(exc).__name__)
        await asyncio.sleep(every)
