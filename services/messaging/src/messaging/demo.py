"""Demonstration data (development only), made by messaging's own use cases.

Every row goes through the use case a staff member or an event would call, so the demo
obeys every rule (text cleaning, theme roles, dedupe keys) and nothing here is SQL. Run
twice, it adds nothing: what exists (by theme code, template title, thread subject) is kept.

- the town's usual themes and reply templates (« Scolaire », « Périscolaire / Animation »…);
- the demo family's copies (dossier 404, famille LE DERF, Arthur) through the use cases of
  ``accounts.dossier.updated`` / ``accounts.child.added``, with the shared fixed ids; the
  real events, newer, overwrite them;
- once accounts has told messaging who the family's parent is (``lederf``), a thread from
  them answered by the town, so that both inboxes show something. Before that the thread is
  skipped; running demo-data again after accounts has started adds it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import asyncpg
import structlog
from servicekit.identity import Identity
from servicekit.pagination import CursorCodec

from . import consumers, schemas
from .mail.compose import MailComposer
from .service import Event, Messaging, configuration, contacts, families, inbox, threads

log = structlog.get_logger(__name__)

DEMO_DOSSIER_ID = uuid.uuid5(uuid.NAMESPACE_URL, "https://portail-famille.fr/demo/dossier/404")
DEMO_CHILD_ID = uuid.uuid5(uuid.NAMESPACE_URL, "https://portail-famille.fr/demo/dossier/404/child/arthur")
DEMO_AGENT = Identity(
    user_id=uuid.uuid5(uuid.NAMESPACE_URL, "https://portail-famille.fr/demo/agent/messaging"),
    roles=frozenset({"messaging_staff"}),
)
# Older than any real event: accounts' own events about the family win over these copies.
SEEDED_AT = datetime(2026, 9, 1, tzinfo=UTC)

# (code, label, staff role)
DEMO_THEMES = (
    ("scolaire", "Scolaire", "messaging_staff"),
    ("periscolaire", "Périscolaire / Animation", "messaging_staff"),
    ("restauration", "Restauration", "messaging_staff"),
    ("facturation", "Facturation", "billing_staff"),
)

# (title, body, theme code or None for every theme)
DEMO_REPLY_TEMPLATES = (
    (
        "Accusé de réception",
        "Bonjour,\n\nNous avons bien reçu votre message et le transmettons au service concerné. "
        "Nous revenons vers vous rapidement.\n\nCordialement,\nLe Service Enfance",
        None,
    ),
    (
        "Justificatif de quotient familial",
        "Bonjour,\n\nPour calculer votre quotient familial, merci de déposer votre dernier avis "
        "d'imposition ou votre attestation CAF dans « Mes documents ».\n\nCordialement,\nLe service Facturation",
        "facturation",
    ),
)

DEMO_THREAD_SUBJECT = "Allergie d'Arthur à l'arachide"
DEMO_THREAD_BODY = (
    "Bonjour,\n\nArthur est allergique à l'arachide : le PAI a été signé avec l'école Jules Ferry. "
    "Pouvez-vous prévenir la cantine ?\n\nMerci,\nArnaud Le Derf"
)


def _event(name: str) -> Event:
    return Event(
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"https://portail-famille.fr/demo/messaging/{name}"), occurred_at=SEEDED_AT
    )


async def load(pool: asyncpg.Pool, settings) -> None:
    if settings.environment == "production":
        raise RuntimeError("demo data are for development only")
    ctx = Messaging(
        pool=pool,
        mail=MailComposer.from_settings(settings),
        attachment_max_bytes=settings.attachment_max_bytes,
        cursors=CursorCodec(settings.identity_secret),
    )
    themes = await _themes(ctx)
    await _reply_templates(ctx, themes)
    await _family_copies(ctx)
    await _thread(ctx, themes["scolaire"])


async def _themes(ctx: Messaging) -> dict[str, uuid.UUID]:
    existing = {t.code: t.id for t in (await configuration.admin_themes(ctx)).themes}
    for position, (code, label, role) in enumerate(DEMO_THEMES):
        if code not in existing:
            made = await configuration.create_theme(
                ctx, schemas.ThemeCreate(code=code, label=label, staff_role=role, position=position)
            )
            existing[code] = made.id
    return existing


async def _reply_templates(ctx: Messaging, themes: dict[str, uuid.UUID]) -> None:
    titles = {t.title for t in (await configuration.reply_templates(ctx, DEMO_AGENT)).templates}
    for title, body, theme_code in DEMO_REPLY_TEMPLATES:
        if title not in titles:
            theme_id = themes[theme_code] if theme_code else None
            await configuration.create_reply_template(
                ctx, schemas.ReplyTemplateCreate(title=title, body=body, theme_id=theme_id)
            )


async def _family_copies(ctx: Messaging) -> None:
    """Dossier 404 and Arthur, as accounts' consumers would record them (idempotent upserts)."""
    dossier = consumers.DossierUpdated(
        dossier_id=DEMO_DOSSIER_ID, number="404", family_name="LE DERF", invoices_by_email=True
    )
    arthur = consumers.ChildKnown(child_id=DEMO_CHILD_ID, dossier_id=DEMO_DOSSIER_ID, first_name="Arthur")
    async with ctx.uow() as uow:
        await contacts.dossier_updated(ctx, uow, _event("dossier-404"), dossier)
        await families.child_known(ctx, uow, _event("child-arthur"), arthur)
        await uow.commit()


async def _thread(ctx: Messaging, theme_id: uuid.UUID) -> None:
    async with ctx.uow() as uow:
        family = await uow.contacts.of_dossier(DEMO_DOSSIER_ID)
    if not family:
        log.info("demo_thread_skipped", reason="the demo family's parent is not known to messaging yet")
        return
    parent = Identity(user_id=family[0]["user_id"], dossier_id=DEMO_DOSSIER_ID)
    sent = await threads.list_parent_threads(ctx, parent, schemas.ParentThreadsQuery(box="sent", limit=100))
    if any(t.subject == DEMO_THREAD_SUBJECT for t in sent.threads):
        return
    thread = await threads.start_thread(
        ctx,
        parent,
        schemas.NewThread(theme_id=theme_id, subject=DEMO_THREAD_SUBJECT, body=DEMO_THREAD_BODY),
        None,
        None,
    )
    await inbox.reply(
        ctx,
        DEMO_AGENT,
        thread.id,
        schemas.StaffReply(
            body="Bonjour,\n\nC'est noté : la cantine de l'école Jules Ferry est prévenue depuis le "
            f"{date(2026, 9, 7):%d/%m/%Y}.\n\nCordialement,\nLe Service Enfance"
        ),
        None,
    )
