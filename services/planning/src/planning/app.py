"""Composition root of the planning service."""

from __future__ import annotations

from datetime import time
from functools import partial
from pathlib import Path

from aiohttp import web
from pydantic import Field
from pydantic_settings import SettingsConfigDict
from servicekit.openapi import add_routes, openapi_route
from servicekit.service import ServiceSpec, create_service_app
from servicekit.service import main as service_main
from servicekit.settings import ServiceSettings

from . import admin_api, api, consumers, demo, jobs
from .domain.basket import DEFAULT_HOLD_MINUTES
from .service.reads import StaffRules
from .web import STAFF_RULES, planning_of_app, with_planning_errors


class PlanningSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PLANNING_", extra="ignore", populate_by_name=True)

    http_port: int = 8082
    database_url: str = "postgresql://postgres@127.0.0.1:5432/planning"
    # « Payer » holds the places this long; an unpaid basket then expires.
    basket_hold_minutes: int = Field(DEFAULT_HOLD_MINUTES, ge=1, le=24 * 60)
    expiry_interval_seconds: float = Field(30.0, gt=0, le=3600)
    # Where billing sends the parent back after the payment page.
    payment_return_url: str = "/planning"
    # « Nothing booked next week »: from this ISO weekday (0: never) and Paris time on (Friday 18:00).
    reminder_weekday: int = Field(5, ge=0, le=7)
    reminder_at: str = Field("18:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    reminder_interval_seconds: float = Field(300.0, gt=0, le=86400)

    @property
    def reminder_time(self) -> time:
        return time.fromisoformat(self.reminder_at)


OPENAPI_ROUTE = openapi_route(
    "/api/planning/openapi.json",
    title="Portail Famille — planning",
    description="Bookings month by month (« Planning »): the children's grids, the basket and « Payer » "
    "(the book-and-pay saga with billing), and the staff's configuration, daily lists, attendance and "
    "exports. Reached through the gateway, which authenticates the caller.",
    access="No login needed.",
    operation_id="get_planning_openapi",
)
ROUTES = (*api.ROUTES, *admin_api.ROUTES, OPENAPI_ROUTE)


def setup(app: web.Application) -> None:
    app[STAFF_RULES] = StaffRules()
    add_routes(app, ROUTES, wrap=with_planning_errors)


def event_handlers(app: web.Application):
    return consumers.event_handlers(partial(planning_of_app, app))


SPEC = ServiceSpec(
    name="planning",
    migrations=Path(__file__).parent / "migrations",
    settings_class=PlanningSettings,
    setup_routes=setup,
    event_handlers=event_handlers,
    extra_contexts=(jobs.expiry_ctx, jobs.reminder_ctx),
    demo_data=demo.load,
)


def create_app(settings: PlanningSettings):
    return create_service_app(SPEC, settings)


def main() -> None:
    service_main(SPEC)
