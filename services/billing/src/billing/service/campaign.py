"""The February QF campaign: staff open it, billing reminds the families that have not
renewed (at most once a week each), and the parent's QF page reads where the family stands.

Timeline (domain/qf.py, ``QfCampaign``): the new period starts on 1 February of the
campaign's year; until ``ends_on`` a family that has not renewed keeps its previous QF; from
the day after, no QF covers its days and the grid's highest tariff applies.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from servicekit.identity import Identity

from ..domain.errors import Conflict
from ..domain.qf import QfCampaign
from ..events import QfCampaignReminderDue
from .deps import Billing

PARIS = ZoneInfo("Europe/Paris")
REMINDER_EVERY = timedelta(days=7)
REMINDER_BATCH = 500


def today(ctx: Billing) -> date:
    return ctx.now().astimezone(PARIS).date()


async def open_campaign(ctx: Billing, who: Identity, *, year: int, ends_on: date) -> QfCampaign:
    campaign = QfCampaign(year, ends_on)
    async with ctx.uow() as uow:
        if not await uow.qf_campaigns.open(campaign, by=who.user_id, at=ctx.now()):
            raise Conflict(f"La campagne {year} est déjà ouverte.", code="qf_campaign_exists", field="year")
        await uow.commit()
    return campaign


async def send_reminders(ctx: Billing) -> int:
    """One round of the reminder job: each open campaign's families that need one get one
    ``billing.qf_campaign.reminder_due``. The claim (one conditional UPSERT per family) and
    the event are in one transaction, so concurrent rounds never remind a family twice a week."""
    now = ctx.now()
    sent_before = now - REMINDER_EVERY
    sent = 0
    async with ctx.read() as conn:
        campaigns = await conn.fetch("SELECT year, ends_on FROM qf_campaigns WHERE ends_on >= $1", today(ctx))
    for row in campaigns:
        campaign = QfCampaign(row["year"], row["ends_on"])
        while True:
            async with ctx.uow() as uow:
                due = await uow.qf_campaigns.families_to_remind(
                    campaign.year, sent_before=sent_before, limit=REMINDER_BATCH
                )
                for dossier_id in due:
                    if await uow.qf_campaigns.claim_reminder(
                        campaign.year, dossier_id, at=now, sent_before=sent_before
                    ):
                        await uow.publish(
                            QfCampaignReminderDue(dossier_id=dossier_id, year=campaign.year, ends_on=campaign.ends_on)
                        )
                        sent += 1
                await uow.commit()
            if len(due) < REMINDER_BATCH:
                break
    return sent


async def family_qf(ctx: Billing, dossier_id: uuid.UUID) -> dict:
    """What the parent's « Quotient familial » page shows."""
    day = today(ctx)
    async with ctx.uow() as uow:
        history = await uow.qfs.history(dossier_id)
        proof = await uow.qf_proofs.latest(dossier_id)
        open_campaigns = await uow.qf_campaigns.open_on(day)
    current = history.value_on(day)
    campaign = open_campaigns[-1] if open_campaigns else None
    return {
        "qf": current,
        "in_grace": current is not None and history.proved_on(day) is None,
        "proof": dict(proof) if proof else None,
        "campaign": campaign,
        "needs_renewal": campaign is not None and history.needs_renewal(campaign.year),
    }
