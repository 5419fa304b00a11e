"""The families of the booking scenarios (7 to 11), made through each service's use cases.

Accounts: the demo data (``accounts.demo.load``), then for each bench family a dossier
typed in as staff would (``dossiers.create_dossier``, with fixed ids so that planning and
billing can seed their copies at once, as their demo loaders do for dossier 404), a parent
who registers with the dossier's references and activates with the e-mailed link (the
steps accounts' own demo loader takes). Planning: its demo data, each child recorded by the
use case of its ``accounts.child.added`` consumer and enrolled in the three demo
activities. Billing: its demo data (tariffs) and each family's copy by the use case of its
``accounts.dossier.updated`` consumer. No raw SQL: the figures are those of data the
services made themselves.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

BENCH_NS = "https://portail-famille.fr/bench/family"
PASSWORD = "Banc-Essai-Famille-2026"


@dataclass(frozen=True)
class Family:
    n: int
    dossier_id: uuid.UUID
    child_id: uuid.UUID
    number: str
    family_name: str
    username: str

    @property
    def first_name(self) -> str:
        return "Camille"


def _letters(n: int) -> str:
    """A name without digits (accounts checks names): 1 → "aab", 2 → "aac"..."""
    out = ""
    for _ in range(3):
        n, r = divmod(n, 26)
        out = chr(ord("a") + r) + out
    return out


def families(count: int) -> list[Family]:
    out = []
    for n in range(1, count + 1):
        dossier_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{BENCH_NS}/{n}")
        out.append(
            Family(
                n=n,
                dossier_id=dossier_id,
                child_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{BENCH_NS}/{n}/child"),
                number=str(70000 + n),
                family_name=f"BANC{_letters(n).upper()}",
                username=f"bench.family.{n}",
            )
        )
    return out


# --------------------------------------------------------------------------- accounts


async def _accounts(dsn: str, amqp: str, fams: list[Family]) -> None:
    from accounts import demo
    from accounts.app import SPEC, AccountsSettings
    from accounts.domain.audit import SYSTEM
    from accounts.passwords import make_hasher
    from accounts.schemas.admin import AddressInput, AdultInput, ChildInput, DossierCreation
    from accounts.schemas.public import RegistrationRequest
    from accounts.service import dossiers, registration
    from servicekit.db import create_pool, migrate

    await migrate(dsn, SPEC.migrations)
    settings = AccountsSettings(database_url=dsn, amqp_url=amqp, environment="test", password_hash_profile="test")
    pool = await create_pool(dsn)
    try:
        await demo.load(pool, settings)
        # accounts' demo keeps the activation links it publishes (the parent reads them in
        # the e-mail); the bench activates its parents the same way.
        acc = demo._DemoAccounts(pool=pool, hasher=make_hasher("test"))
        for f in fams:
            creation = DossierCreation(
                number=f.number,
                family_name=f.family_name,
                address=AddressInput(line1="1 place de la Mairie", postal_code="95380", city="Puiseux-en-France"),
                adults=[AdultInput(last_name=f.family_name, first_name="Dominique", email=f"{f.username}@example.org")],
                children=[
                    ChildInput(
                        first_name=f.first_name,
                        last_name=f.family_name,
                        birth_date=date(2018, 3, 1),
                        school="École Jules Ferry",
                        level="CE2",
                    )
                ],
            )
            await dossiers.create_dossier(acc, SYSTEM, creation, ids=dossiers.FixedIds(f.dossier_id, (f.child_id,)))

            async def register(acc, f=f) -> uuid.UUID:
                request = RegistrationRequest(
                    last_name=f.family_name,
                    first_name="Dominique",
                    email=f"{f.username}@example.org",
                    username=f.username,
                    password=PASSWORD,
                    dossier_number=f.number,
                    dossier_name=f.family_name,
                    terms_version=demo.TERMS_VERSION,
                )
                # One client per family: registrations are counted per client address.
                return (await registration.register(acc, request, client=f"bench-{f.n}")).user_id

            await demo._active_account(acc, f.username, register)
    finally:
        await pool.close()


# --------------------------------------------------------------------------- planning


async def _planning(dsn: str, amqp: str, fams: list[Family]) -> list[uuid.UUID]:
    """Returns the demo activities' ids (cantine, peri_matin, alsh_mercredi)."""
    from planning import demo
    from planning.app import SPEC, PlanningSettings
    from planning.domain import PARIS, school_year_label
    from planning.schemas.admin import EnrolmentIn
    from planning.service import Planning, children
    from planning.store import UnitOfWork
    from planning.store.children import ChildRecord
    from servicekit.db import create_pool, migrate

    await migrate(dsn, SPEC.migrations)
    pool = await create_pool(dsn)
    try:
        await demo.load(pool, PlanningSettings(database_url=dsn, amqp_url=amqp, environment="test"))
        p = Planning(pool=pool)
        label = school_year_label(p.now().astimezone(PARIS).date())
        ids = [demo.demo_activity_id(label, code) for code, *_ in demo.DEMO_ACTIVITIES]
        for f in fams:
            async with UnitOfWork(pool) as uow:
                record = ChildRecord(
                    f.child_id, f.dossier_id, f.first_name, f.family_name, date(2018, 3, 1), "École Jules Ferry", "CE2"
                )
                await children.record_child(uow, record, demo.DEMO_SOURCE_AT)
                await uow.commit()
            for activity_id in ids:
                await children.enrol(p, EnrolmentIn(child_id=f.child_id, activity_id=activity_id))
    finally:
        await pool.close()
    return ids


# --------------------------------------------------------------------------- billing


async def _billing(dsn: str, amqp: str, fams: list[Family]) -> None:
    from billing import demo
    from billing.app import SPEC, BillingSettings
    from billing.providers.simulated import SimulatedTreasury
    from billing.service import Billing, Event, copies
    from servicekit.db import create_pool, migrate

    await migrate(dsn, SPEC.migrations)
    pool = await create_pool(dsn)
    try:
        await demo.load(pool, BillingSettings(database_url=dsn, amqp_url=amqp, environment="test"))
        ctx = Billing(pool=pool, provider=SimulatedTreasury(pool))
        for f in fams:
            family = copies.DossierUpdated(
                dossier_id=f.dossier_id,
                number=f.number,
                family_name=f.family_name,
                invoices_by_email=False,
                adults=[copies.Adult(email=f"{f.username}@example.org")],
            )
            event = Event(
                id=uuid.uuid5(uuid.NAMESPACE_URL, f"{BENCH_NS}/{f.n}/dossier-event"), occurred_at=datetime.now(UTC)
            )
            async with ctx.uow() as uow:
                await copies.dossier_updated(ctx, uow, event, family)
                await uow.commit()
    finally:
        await pool.close()


def prepare(dsns: dict[str, str], amqp: str, count: int) -> tuple[list[Family], list[uuid.UUID]]:
    """Fill the three databases (``dsns``: accounts, planning, billing), the three at once."""
    fams = families(count)

    async def all_three():
        _, ids, _ = await asyncio.gather(
            _accounts(dsns["accounts"], amqp, fams),
            _planning(dsns["planning"], amqp, fams),
            _billing(dsns["billing"], amqp, fams),
        )
        return ids

    return fams, asyncio.run(all_three())
