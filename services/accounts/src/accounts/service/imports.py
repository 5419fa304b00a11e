"""The town's dossier file, imported whole or not at all.

Each planned dossier becomes the same ``DossierCreation`` the staff API accepts, checked
by the same schema and rules, and is written by the same ``insert_dossier``: an imported
dossier has the rows, the audit entries and the events of one typed in by hand.
"""

from __future__ import annotations

import structlog
from pydantic import ValidationError
from servicekit.problems import validation_problem

from ..domain.audit import Actor
from ..domain.csv_import import ImportPlan, PlannedDossier, RowProblem, parse_dossier_csv
from ..domain.errors import Invalid
from ..schemas.admin import DossierCreation, ImportResult
from .deps import Accounts
from .dossiers import creation_errors, insert_dossier, today

log = structlog.get_logger(__name__)

REJECTED = "Le fichier contient des lignes refusées : rien n'a été importé."


def _rejected(report: list[RowProblem]) -> Invalid:
    return Invalid("import_rejected", REJECTED, extra={"report": [p.as_dict() for p in report]})


def _line_of(planned: PlannedDossier, field: str | None) -> int:
    """The CSV line behind ``adults.1.email`` or ``children.0.birth_date``."""
    parts = (field or "").split(".")
    members = {"adults": planned.adults, "children": planned.children}.get(parts[0])
    if members is not None and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(members):
        return members[int(parts[1])].line
    return planned.line


def _creation(planned: PlannedDossier) -> DossierCreation:
    return DossierCreation(
        number=planned.number,
        family_name=planned.family_name,
        adults=[
            {"last_name": a.last_name, "first_name": a.first_name, "email": a.email, "phone": a.phone}
            for a in planned.adults
        ],
        children=[
            {
                "first_name": c.first_name,
                "last_name": c.last_name,
                "birth_date": c.birth_date,
                "school": c.school,
                "level": c.level,
            }
            for c in planned.children
        ],
    )


def _creations(plan: ImportPlan, acc: Accounts) -> tuple[list[DossierCreation], list[RowProblem]]:
    """The plan as API commands, or a report of the lines the API's rules refuse."""
    on = today(acc)
    creations, report = [], []
    for planned in plan.dossiers:
        try:
            cmd = _creation(planned)
        except ValidationError as exc:
            errors = validation_problem(exc).errors or []
            report += [RowProblem(_line_of(planned, e["field"]), e["message"]) for e in errors]
            continue
        problems = creation_errors(cmd, on)
        report += [RowProblem(_line_of(planned, e.field), e.message) for e in problems]
        if not problems:
            creations.append(cmd)
    return creations, sorted(report, key=lambda p: p.line or 0)


async def import_dossiers(acc: Accounts, actor: Actor, data: bytes, *, dry_run: bool) -> ImportResult:
    plan: ImportPlan = parse_dossier_csv(data, today=today(acc))
    if plan.report:
        raise _rejected(plan.report)
    creations, report = _creations(plan, acc)
    if report:
        raise _rejected(report)
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
        for cmd in creations:
            await insert_dossier(uow, actor, cmd, now)
        await uow.commit()
    log.info("dossiers_imported", dossiers=result.dossiers, children=result.children, by=str(actor.user_id))
    return result
