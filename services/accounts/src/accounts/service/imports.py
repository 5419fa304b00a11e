"""The town's dossier file, imported whole or not at all."""

from __future__ import annotations

import structlog

from .. import events
from ..domain.audit import Actor
from ..domain.csv_import import ImportPlan, RowProblem, parse_dossier_csv
from ..domain.errors import Invalid
from ..domain.names import name_key
from ..schemas.admin import ImportResult
from .common import child_payload, dossier_updated
from .deps import Accounts
from .dossiers import today

log = structlog.get_logger(__name__)

REJECTED = "Le fichier contient des lignes refusées : rien n'a été importé."


def _rejected(report: list[RowProblem]) -> Invalid:
    return Invalid("import_rejected", REJECTED, extra={"report": [p.as_dict() for p in report]})


async def import_dossiers(acc: Accounts, actor: Actor, data: bytes, *, dry_run: bool) -> ImportResult:
    plan: ImportPlan = parse_dossier_csv(data, today=today(acc))
    if plan.report:
        raise _rejected(plan.report)
    now = acc.now()
    async with acc.uow() as uow:
        existing = await uow.dossiers.existing_numbers(d.number for d in plan.dossiers)
        if existing:
            raise _rejected(
                [
                    RowProblem(d.line, f"Le dossier {d.number} existe déjà.")
                    for d in plan.dossiers
                    if d.number in existing
                ]
            )
        result = ImportResult(
            dry_run=dry_run, rows=plan.rows, dossiers=len(plan.dossiers), adults=plan.adults, children=plan.children
        )
        if dry_run:
            return result
        for planned in plan.dossiers:
            dossier_id = await uow.dossiers.insert(
                number=planned.number,
                family_name=planned.family_name,
                family_name_key=name_key(planned.family_name),
                address={},
                invoices_by_email=False,
                now=now,
            )
            for position, adult in enumerate(planned.adults, start=1):
                is_mobile = adult.phone is not None and adult.phone.startswith(("06", "07", "+"))
                await uow.dossiers.insert_adult(
                    dossier_id,
                    position,
                    {
                        "last_name": adult.last_name,
                        "first_name": adult.first_name,
                        "email": adult.email,
                        "phone_mobile": adult.phone if is_mobile else None,
                        "phone_home": adult.phone if not is_mobile else None,
                    },
                )
            await uow.audit.write(
                at=now,
                actor=actor,
                entity="dossier",
                entity_id=dossier_id,
                action="imported",
                dossier_id=dossier_id,
                after={"number": planned.number, "family_name": planned.family_name, "adults": len(planned.adults)},
            )
            await uow.publish(events.DOSSIER_UPDATED, await dossier_updated(uow, dossier_id))
            for child in planned.children:
                child_id = await uow.dossiers.insert_child(
                    dossier_id,
                    first_name=child.first_name,
                    last_name=child.last_name,
                    birth_date=child.birth_date,
                    school=child.school,
                    level=child.level,
                )
                row = await uow.dossiers.child(child_id)
                await uow.publish(events.CHILD_ADDED, child_payload(row))
        await uow.commit()
    log.info("dossiers_imported", dossiers=result.dossiers, children=result.children, by=str(actor.user_id))
    return result
