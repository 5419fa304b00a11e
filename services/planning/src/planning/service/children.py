"""The children copy (accounts' events), enrolments, and a family's children."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ..schemas import admin as a
from ..schemas import parent as s
from ..store import UnitOfWork
from ..store.children import ChildRecord
from .deps import Planning
from .errors import ActivityNotFound, ChildNotFound


async def record_child(uow: UnitOfWork, child: ChildRecord, occurred_at: datetime) -> bool:
    """accounts.child.added / accounts.child.updated (and the demo data): an idempotent
    upsert; an event older than what is stored changes nothing."""
    return await uow.children.upsert(child, occurred_at)


async def enrol(p: Planning, cmd: a.EnrolmentIn) -> a.EnrolmentOut:
    """404 while planning has not heard of the child from accounts yet."""
    async with UnitOfWork(p.pool) as uow:
        child = await uow.children.record(cmd.child_id)
        if child is None:
            raise ChildNotFound()
        if await uow.activities.get(cmd.activity_id) is None:
            raise ActivityNotFound()
        await uow.children.enrol(cmd.child_id, cmd.activity_id)
        await uow.commit()
    return a.EnrolmentOut(
        child_id=cmd.child_id,
        activity_id=cmd.activity_id,
        first_name=child["first_name"],
        last_name=child["last_name"],
        school=child["school"],
        level=child["level"],
    )


async def enrolments(p: Planning, query: a.EnrolmentsQuery) -> a.EnrolmentList:
    async with UnitOfWork(p.pool) as uow:
        rows = await uow.children.enrolments(query.activity_id, query.child_id)
    return a.EnrolmentList(
        enrolments=[
            a.EnrolmentOut(
                child_id=r["child_id"],
                activity_id=r["activity_id"],
                first_name=r["first_name"],
                last_name=r["last_name"],
                school=r["school"],
                level=r["level"],
            )
            for r in rows
        ]
    )


async def family_children(p: Planning, dossier_id: UUID) -> s.ChildList:
    async with UnitOfWork(p.pool) as uow:
        children = await uow.children.of_dossier(dossier_id)
        records = await uow.children.names([c.id for c in children])
        activities = await uow.activities.many(sorted({i for c in children for i in c.enrolments}))
    out = []
    for child in children:
        enrolled = sorted(
            (activities[i] for i in child.enrolments if i in activities),
            key=lambda x: (x.school_year.starts_on, x.starts_at, x.name),
        )
        out.append(
            s.ChildOut(
                id=child.id,
                first_name=child.first_name,
                last_name=records[child.id]["last_name"],
                activities=[s.ActivityRef(id=x.id, name=x.display_name) for x in enrolled],
            )
        )
    return s.ChildList(children=out)
