"""Public HTTP entrypoints of planning."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, Field
from servicekit.openapi import Route, add_routes, openapi_route
from servicekit.service import DB

from .domain.school_year import school_year_label

PARIS = ZoneInfo("Europe/Paris")


class Activity(BaseModel):
    id: uuid.UUID
    code: str = Field(description="stable key within a school year, e.g. cantine")
    name: str = Field(description="as parents see it: « 2026/2027 - Cantine (11h30 à 13h30) »")
    starts_at: str = Field(description="HH:MM, Paris time")
    ends_at: str = Field(description="HH:MM, Paris time")
    weekdays: list[int] = Field(description="ISO weekdays it runs on (1 = Monday ... 7 = Sunday)")
    capacity: int


class ActivityList(BaseModel):
    school_year: str = Field(description="e.g. 2026/2027")
    activities: list[Activity]


async def list_activities(request: web.Request) -> web.Response:
    """This school year's activities, named as parents see them (« 2026/2027 - Cantine ... »)."""
    label = school_year_label(datetime.now(PARIS).date())
    rows = await request.app[DB].fetch(
        """
        SELECT a.id, a.code, a.name, y.label, a.starts_at, a.ends_at, a.weekdays, a.capacity
        FROM activities a JOIN school_years y ON y.id = a.school_year_id
        WHERE y.label = $1
        ORDER BY a.starts_at, a.name
        """,
        label,
    )
    body = ActivityList(
        school_year=label,
        activities=[
            Activity(
                id=r["id"],
                code=r["code"],
                name=f"{r['label']} - {r['name']}",
                starts_at=r["starts_at"].strftime("%H:%M"),
                ends_at=r["ends_at"].strftime("%H:%M"),
                weekdays=list(r["weekdays"]),
                capacity=r["capacity"],
            )
            for r in rows
        ],
    )
    return web.json_response(body.model_dump(mode="json"))


ROUTES = (
    Route(
        "GET",
        "/api/planning/activities",
        list_activities,
        "This school year's activities",
        "Planning",
        response=ActivityList,
        public=True,
        access="No login needed.",
    ),
    openapi_route(
        "/api/planning/openapi.json",
        title="Portail Famille — planning",
        description="The activities of the current school year (canteen, before and after school, Wednesdays).",
        access="No login needed.",
        operation_id="get_planning_openapi",
    ),
)


def setup_routes(app: web.Application) -> None:
    add_routes(app, ROUTES)
