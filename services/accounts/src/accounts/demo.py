"""Demonstration data (development only): the town, the Le Derf family, a staff user."""

from __future__ import annotations

import asyncpg
from servicekit.events import add_to_outbox, make_envelope

from . import events
from .domain.names import name_key
from .passwords import make_hasher

DEMO_PARENT = ("lederf", "Portail-Famille-404")
DEMO_STAFF = ("agent.mairie", "Portail-Agent-2026")

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


async def _publish(conn: asyncpg.Connection, event_type: str, data) -> None:
    await add_to_outbox(conn, make_envelope(event_type, data, source="accounts"))


async def load(pool: asyncpg.Pool, settings) -> None:
    """Idempotent: what exists is left alone, and events go out only for what is inserted,
    so that other services' copies fill once."""
    hasher = make_hasher(settings.password_hash_profile)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO town (id, name, insee_code) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
            "Puiseux-en-France",
            "95509",
        )
        await conn.execute(
            "INSERT INTO terms (version, text) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING",
            TERMS_VERSION,
            TERMS_TEXT,
        )
        dossier_id = await conn.fetchval(
            """
            INSERT INTO dossiers (number, family_name, family_name_key, address_line1, postal_code, city)
            VALUES ('404', 'LE DERF', $1, '12 rue de la Mairie', '95380', 'Puiseux-en-France')
            ON CONFLICT (number) DO NOTHING
            RETURNING id
            """,
            name_key("LE DERF"),
        )
        if dossier_id is not None:
            adult = await conn.fetchrow(
                """
                INSERT INTO adults (dossier_id, last_name, first_name, email, phone_mobile)
                VALUES ($1, 'Le Derf', 'Arnaud', 'arnaud.lederf@example.org', '06 12 34 56 78')
                RETURNING id, first_name, last_name, email, phone_mobile, phone_home, phone_work
                """,
                dossier_id,
            )
            child = await conn.fetchrow(
                """
                INSERT INTO children (dossier_id, first_name, last_name, birth_date, school, level)
                VALUES ($1, 'Arthur', 'Le Derf', '2018-05-14', 'École Jules Ferry', 'CE2')
                RETURNING id, dossier_id, first_name, last_name, birth_date, school, level
                """,
                dossier_id,
            )
            await _publish(
                conn,
                events.DOSSIER_UPDATED,
                events.DossierUpdated(
                    dossier_id=dossier_id,
                    number="404",
                    family_name="LE DERF",
                    invoices_by_email=False,
                    address=events.Address(
                        line1="12 rue de la Mairie", line2=None, postal_code="95380", city="Puiseux-en-France"
                    ),
                    adults=[events.DossierAdult(**dict(adult))],
                ),
            )
            await _publish(
                conn,
                events.CHILD_ADDED,
                events.ChildAdded(
                    dossier_id=child["dossier_id"],
                    child_id=child["id"],
                    first_name=child["first_name"],
                    last_name=child["last_name"],
                    birth_date=child["birth_date"],
                    school=child["school"],
                    level=child["level"],
                ),
            )
        else:
            dossier_id = await conn.fetchval("SELECT id FROM dossiers WHERE number = '404'")
        for (username, password), row in (
            (DEMO_PARENT, ("arnaud.lederf@example.org", "Le Derf", "Arnaud", [], dossier_id)),
            (
                DEMO_STAFF,
                (
                    "agent@mairie.example.org",
                    "Mairie",
                    "Agent",
                    ["accounts_staff", "planning_staff", "billing_staff", "messaging_staff"],
                    None,
                ),
            ),
        ):
            email, last, first, roles, dossier = row
            user_id = await conn.fetchval(
                """
                INSERT INTO users (username, email, last_name, first_name, password_hash, status, roles,
                                   dossier_id, activated_at)
                VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, now())
                ON CONFLICT (lower(username)) DO NOTHING
                RETURNING id
                """,
                username,
                email,
                last,
                first,
                hasher.hash(password),
                roles,
                dossier,
            )
            if user_id is None:
                continue
            await conn.execute(
                "INSERT INTO terms_acceptances (user_id, terms_version, accepted_at) VALUES ($1, $2, now())",
                user_id,
                TERMS_VERSION,
            )
            await _publish(
                conn,
                events.USER_ACTIVATED,
                events.UserActivated(
                    user_id=user_id,
                    username=username,
                    email=email,
                    first_name=first,
                    last_name=last,
                    dossier_id=dossier,
                ),
            )
