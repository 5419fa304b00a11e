"""Public HTTP entrypoints of planning."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from servicekit.service import DB

from .domain.school_year import school_year_label

PARIS = ZoneInfo("Europe/Paris")


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
    return web.json_response(
        {
            "school_year": label,
            "activities": [
                {
                    "id": str(r["id"]),
                    "code": r["code"],
                    "name": f"{r['label']} - {r['name']}",
                    "starts_at": r["starts_at"].strftime("%H:%M"),
                    "ends_at": r["ends_at"].strftime("%H:%M"),
                    "weekdays": list(r["weekdays"]),
                    "capacity": r["capacity"],
                }
                for r in rows
            ],
        }
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/planning/activities", list_activities)
