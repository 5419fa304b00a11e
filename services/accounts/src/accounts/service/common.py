"""Pieces several use cases share: dossier matching with its throttle, event payloads."""

from __future__ import annotations

import uuid

import asyncpg
import structlog

from .. import events
from ..domain import throttle, tokens
from ..domain.errors import DossierAlreadyLinked, DossierMismatch, TooManyDossierTries
from ..domain.names import name_key
from ..store import UnitOfWork
from ..store.attempts import DOSSIER_CLIENT, DOSSIER_NUMBER, DOSSIER_PAIR
from ..store.tokens import ACTIVATION
from .deps import Accounts

log = structlog.get_logger(__name__)


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
    active account. Wrong references are counted per client and per (client, number) —
    the number's count from everywhere only makes guessing clients wait sooner — and the
    answer is the same whether the number exists or not."""
    now = acc.now()
    limits = acc.limits
    since = limits.window_start(now)
    pair = throttle.pair_key(number, client)
    async with acc.uow() as uow:
        # Check and count in one transaction under the client's lock: parallel guesses
        # from one client wait for each other instead of all reading the same count.
        await uow.attempts.lock(f"dossier:{client}")
        by_client = await uow.attempts.nth_most_recent(DOSSIER_CLIENT, client, since, limits.dossier_client_tries)
        waits = [throttle.window_retry_after(by_client, now, limits)]
        pair_failures, _ = await uow.attempts.count_and_last(DOSSIER_PAIR, pair, since)
        if pair_failures:
            everywhere, _ = await uow.attempts.count_and_last(DOSSIER_NUMBER, number, since)
            allowed = throttle.dossier_pair_limit(everywhere, limits)
            nth = await uow.attempts.nth_most_recent(DOSSIER_PAIR, pair, since, allowed)
            waits.append(throttle.window_retry_after(nth, now, limits))
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            log.info("dossier_match_throttled")
            raise TooManyDossierTries(retry_after=wait)
        dossier = await uow.dossiers.by_number(number)
        if dossier is None or dossier["family_name_key"] != name_key(family_name):
            await uow.attempts.record(DOSSIER_CLIENT, client, now)
            await uow.attempts.record(DOSSIER_NUMBER, number, now)
            await uow.attempts.record(DOSSIER_PAIR, pair, now)
            await uow.commit()
            log.info("dossier_match_failed")
            raise DossierMismatch(number_field, name_field)
        if await uow.users.active_holder_of_dossier(dossier["id"]) is not None:
            raise DossierAlreadyLinked()
        return dossier


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


async def issue_activation_link(
    uow: UnitOfWork, user, cls: type[events.UserRegistered] | type[events.UserActivationResent], now
) -> None:
    """A fresh activation link (older ones stop working) and the e-mail event carrying it."""
    await uow.tokens.delete_unused(user["id"], ACTIVATION)
    token, expires_at = await uow.tokens.issue(user["id"], ACTIVATION, now, tokens.ACTIVATION_TTL)
    number = None
    if user["dossier_id"] is not None:
        number = (await uow.dossiers.get(user["dossier_id"]))["number"]
    await uow.publish(
        cls(
            user_id=user["id"],
            username=user["username"],
            email=user["email"],
            first_name=user["first_name"],
            last_name=user["last_name"],
            dossier_number=number,
            activation_token=token,
            expires_at=expires_at,
        ),
    )
