"""Pieces several use cases share: dossier matching with its throttle, event payloads,
idempotent replays."""

from __future__ import annotations

import uuid

import asyncpg
import structlog

from .. import events
from ..domain import throttle
from ..domain.errors import (
    DOSSIER_ALREADY_LINKED,
    DOSSIER_MISMATCH,
    TOO_MANY_DOSSIER_TRIES,
    Conflict,
    FieldError,
    Invalid,
    Throttled,
)
from ..domain.names import name_key
from ..store import IdempotencyRecord, StoredResponse, UnitOfWork
from ..store.attempts import DOSSIER_CLIENT, DOSSIER_NUMBER
from .deps import Accounts

log = structlog.get_logger(__name__)


class IdempotencyRace(Exception):
    """Another request with the same key committed while this one ran: replay its answer."""


async def stored_response(acc: Accounts, record: IdempotencyRecord) -> StoredResponse | None:
    async with acc.pool.acquire() as conn:
        from ..store.idempotency import IdempotencyKeys

        stored = await IdempotencyKeys(conn).find(record.scope, record.key)
    if stored is not None and stored.request_hash != record.request_hash:
        raise Invalid(
            "idempotency_key_reused",
            "Cette clé d'idempotence a déjà servi pour une autre demande.",
            errors=[
                FieldError(
                    "Idempotency-Key", "idempotency_key_reused", "Utilisez une nouvelle clé pour une nouvelle demande."
                )
            ],
        )
    return stored


async def remember_response(uow: UnitOfWork, record: IdempotencyRecord | None, body, now) -> None:
    if record is not None and not await uow.idempotency.save(record, body, now):
        raise IdempotencyRace()


async def match_dossier(
    acc: Accounts,
    number: str,
    family_name: str,
    *,
    client: str,
    number_field: str,
    name_field: str,
) -> asyncpg.Record:
    """The dossier these references designate, within the throttle, not yet held by an
    active account. Wrong references are counted per client and per number, and the
    answer is the same whether the number exists or not."""
    now = acc.now()
    since = throttle.window_start(now)
    async with acc.uow() as uow:
        waits = [
            throttle.window_retry_after(
                await uow.attempts.nth_most_recent(kind, key, since, throttle.DOSSIER_TRIES), now
            )
            for kind, key in ((DOSSIER_CLIENT, client), (DOSSIER_NUMBER, number))
        ]
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            log.info("dossier_match_throttled")
            raise Throttled("too_many_dossier_attempts", TOO_MANY_DOSSIER_TRIES, retry_after=wait)
        dossier = await uow.dossiers.by_number(number)
        if dossier is None or dossier["family_name_key"] != name_key(family_name):
            await uow.attempts.record(DOSSIER_CLIENT, client, now)
            await uow.attempts.record(DOSSIER_NUMBER, number, now)
            await uow.commit()
            log.info("dossier_match_failed")
            raise Invalid(
                "dossier_mismatch",
                DOSSIER_MISMATCH,
                errors=[
                    FieldError(number_field, "dossier_mismatch", DOSSIER_MISMATCH),
                    FieldError(name_field, "dossier_mismatch", DOSSIER_MISMATCH),
                ],
            )
        if await uow.users.active_holder_of_dossier(dossier["id"]) is not None:
            raise Conflict("dossier_already_linked", DOSSIER_ALREADY_LINKED)
        return dossier


def dossier_already_linked() -> Conflict:
    return Conflict("dossier_already_linked", DOSSIER_ALREADY_LINKED)


async def dossier_updated(uow: UnitOfWork, dossier_id: uuid.UUID) -> events.DossierUpdated:
    dossier = await uow.dossiers.get(dossier_id)
    adults = await uow.dossiers.adults(dossier_id)
    return events.DossierUpdated(
        dossier_id=dossier["id"],
        number=dossier["number"],
        family_name=dossier["family_name"],
        invoices_by_email=dossier["invoices_by_email"],
        address=events.Address(
            line1=dossier["address_line1"],
            line2=dossier["address_line2"],
            postal_code=dossier["postal_code"],
            city=dossier["city"],
        ),
        adults=[
            events.DossierAdult(
                id=a["id"],
                first_name=a["first_name"],
                last_name=a["last_name"],
                email=a["email"],
                phone_mobile=a["phone_mobile"],
                phone_home=a["phone_home"],
                phone_work=a["phone_work"],
            )
            for a in adults
        ],
    )


def child_payload(row, cls=events.ChildAdded):
    return cls(
        dossier_id=row["dossier_id"],
        child_id=row["id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        birth_date=row["birth_date"],
        school=row["school"],
        level=row["level"],
    )


def subscriptions(dossier_number: str | None, user_status: str) -> list[dict]:
    if dossier_number is None:
        return []
    status = "active" if user_status == "active" else "pending_activation"
    return [{"service": "enfance", "dossier_number": dossier_number, "status": status}]
