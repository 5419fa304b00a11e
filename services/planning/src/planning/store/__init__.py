"""PostgreSQL behind servicekit's unit of work: every write of a use case in one transaction.

Repositories open on the unit of work's connection, so a change, its outbox rows (events)
and an Idempotency-Key's stored answer are committed together or not at all. Rows become
domain values here (``Activity``, ``Child``, ``Basket``...); the rules never see SQL.
"""

from __future__ import annotations

import asyncpg
import servicekit.uow

from .baskets import Baskets
from .catalog import Activities, Calendars, SchoolYears
from .children import Children
from .places import Places
from .reservations import Attendance, Reminders, Reservations


class UnitOfWork(servicekit.uow.UnitOfWork):
    source = "planning"

    def attach(self, conn: asyncpg.Connection) -> None:
        self.years = SchoolYears(conn)
        self.activities = Activities(conn)
        self.calendars = Calendars(conn)
        self.children = Children(conn)
        self.baskets = Baskets(conn)
        self.places = Places(conn)
        self.reservations = Reservations(conn)
        self.attendance = Attendance(conn)
        self.reminders = Reminders(conn)


__all__ = ["UnitOfWork"]
