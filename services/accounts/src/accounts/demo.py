"""Demonstration data (development only): the town, the Le Derf family, a staff user.

Everything goes through the use cases, as a staff member and the parent would: the
dossier is created like one typed in by staff (audit rows, events), the parent registers
with the references of the mairie's letter and activates with the link of the activation
e-mail, the staff account is created by the staff API's use case and activated with the
chosen password. So the demonstration data obey every rule and other services' copies
fill from the events. Loading twice changes nothing and publishes nothing more.

Dossier 404 and Arthur have fixed ids (the same in every service's demo loader), so
planning and billing can seed their copies without waiting for the events.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date

import asyncpg
import structlog
from servicekit.events import IntegrationEvent

from . import events
from .domain.audit import SYSTEM
from .domain.errors import Conflict
from .passwords import make_hasher
from .schemas.admin import AddressInput, AdultInput, ChildInput, DossierCreation, StaffUserCreation
from .schemas.public import RegistrationRequest
from .service import Accounts, dossiers, registration, town, users_admin
from .store import UnitOfWork

log = structlog.get_logger(__name__)

DEMO_PARENT = ("lederf", "Portail-Famille-404")
DEMO_STAFF = ("agent.mairie", "Portail-Agent-2026")
DEMO_DOSSIER_ID = uuid.uuid5(uuid.NAMESPACE_URL, "https://portail-famille.fr/demo/dossier/404")
DEMO_ARTHUR_ID = uuid.uuid5(uuid.NAMESPACE_URL, "https://portail-famille.fr/demo/dossier/404/child/arthur")
# The "client address" the demo registers from (registrations are counted per client).
DEMO_CLIENT = "demo-data"

TOWN = ("Puiseux-en-France", "95509")
TERMS_VERSION = "2026-01"
TERMS_TEXT = """\
Le Portail famille (ci-après « le Site ») vous est proposé sous certaines conditions, que vous \
vous engagez à respecter. Ces conditions d'utilisation sont définies dans le présent document. \
L'utilisation / consultation du Site est limitée à des fins personnelles et non commerciales. \
D'une façon générale, vous vous interdisez d'utiliser tout ou partie du Site à des fins \
illicites ou contraires aux présentes conditions d'utilisation.

Protection du Site (droits d'auteur et droits voisins, droit des marques)
Toute représentation ou reproduction intégrale ou partielle des éléments du Site faite sans le \
consentement des auteurs ou des ayants droit ou ayants cause est illicite et constitue une \
contrefaçon. En conséquence, vous ne pouvez pas reproduire, représenter, copier, modifier, \
distribuer, transmettre, diffuser, publier, concéder sous licence, transférer ou vendre toute \
information ou donnée obtenue à partir du Site, ni créer des œuvres dérivées des éléments \
précités sans en avoir obtenu l'accord préalable écrit de la Ville.

Données personnelles
Les informations de votre dossier famille sont traitées par la Ville pour la gestion des \
activités périscolaires et extrascolaires et leur facturation. Vous pouvez exercer vos droits \
d'accès, de rectification et d'effacement auprès du service Enfance de la mairie.
"""


def demo_dossier() -> DossierCreation:
    return DossierCreation(
        number="404",
        family_name="LE DERF",
        address=AddressInput(line1="12 rue de la Mairie", postal_code="95380", city="Puiseux-en-France"),
        adults=[
            AdultInput(
                last_name="Le Derf",
                first_name="Arnaud",
                email="arnaud.lederf@example.org",
                phone_mobile="06 12 34 56 78",
            )
        ],
        children=[
            ChildInput(
                first_name="Arthur",
                last_name="Le Derf",
                birth_date=date(2018, 5, 14),
                school="École Jules Ferry",
                level="CE2",
            )
        ],
    )


class _ReadingUnitOfWork(UnitOfWork):
    """Keeps a copy of what it publishes: the demo reads the activation link there, as
    the parent reads it in the e-mail messaging sends from the same event."""

    def __init__(self, pool: asyncpg.Pool, sent: list[IntegrationEvent]):
        super().__init__(pool)
        self._sent = sent

    async def publish(self, event: IntegrationEvent) -> None:
        await super().publish(event)
        self._sent.append(event)


@dataclass
class _DemoAccounts(Accounts):
    sent: list = field(default_factory=list)

    def uow(self) -> UnitOfWork:
        return _ReadingUnitOfWork(self.pool, self.sent)

    def activation_token(self, user_id: uuid.UUID) -> str:
        return next(
            e.activation_token
            for e in reversed(self.sent)
            if isinstance(e, events.UserRegistered) and e.user_id == user_id
        )


async def load(pool: asyncpg.Pool, settings) -> None:
    """Idempotent: what exists is left alone, so events go out once."""
    if settings.environment == "production":
        raise RuntimeError("demonstration data are never loaded in production")
    acc = _DemoAccounts(pool=pool, hasher=make_hasher(settings.password_hash_profile))
    await town.set_town(acc, *TOWN)
    await town.publish_terms(acc, TERMS_VERSION, TERMS_TEXT)
    try:
        await dossiers.create_dossier(
            acc, SYSTEM, demo_dossier(), ids=dossiers.FixedIds(DEMO_DOSSIER_ID, (DEMO_ARTHUR_ID,))
        )
    except Conflict:  # dossier 404 exists: loaded before
        pass
    await _active_account(acc, DEMO_PARENT[0], _register_parent)
    await _active_account(acc, DEMO_STAFF[0], _create_staff, password=DEMO_STAFF[1])
    log.info("demo_data_loaded")


async def _register_parent(acc: Accounts) -> uuid.UUID:
    username, password = DEMO_PARENT
    request = RegistrationRequest(
        last_name="Le Derf",
        first_name="Arnaud",
        email="arnaud.lederf@example.org",
        username=username,
        password=password,
        dossier_number="404",
        dossier_name="LE DERF",
        terms_version=TERMS_VERSION,
    )
    return (await registration.register(acc, request, client=DEMO_CLIENT)).user_id


async def _create_staff(acc: Accounts) -> uuid.UUID:
    request = StaffUserCreation(
        username=DEMO_STAFF[0],
        email="agent@mairie.example.org",
        last_name="Mairie",
        first_name="Agent",
        roles=["accounts_staff", "planning_staff", "billing_staff", "messaging_staff"],
    )
    return (await users_admin.create_staff_user(acc, SYSTEM, frozenset(), request)).id


async def _active_account(
    acc: _DemoAccounts,
    username: str,
    create: Callable[[Accounts], Awaitable[uuid.UUID]],
    *,
    password: str | None = None,
) -> None:
    """Create the account unless it exists, then activate it with its e-mailed link
    (``password``: chosen at activation, for an account made by staff). A pending one,
    left by an interrupted run, gets a new link first."""
    async with acc.uow() as uow:
        user = await uow.users.by_username(username)
    if user is not None and user["status"] != "pending_activation":
        return
    if user is None:
        user_id = await create(acc)
    else:
        user_id = user["id"]
        await users_admin.resend_activation(acc, SYSTEM, user_id)
    await registration.activate(acc, acc.activation_token(user_id), password=password)
