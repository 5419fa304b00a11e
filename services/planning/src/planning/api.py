"""Parents' HTTP entry points (« Planning ») and the public list of activities."""

from __future__ import annotations

import uuid
from dataclasses import replace

from aiohttp import web
from pydantic import BaseModel, Field
from servicekit.idempotency import IDEMPOTENCY_PARAM, idempotent
from servicekit.openapi import Route
from servicekit.requests import path_uuid, read_json
from servicekit.web import model_response

from .domain import PARIS, school_year_label
from .schemas import parent as s
from .service import basket, children, months, reads
from .store.catalog import hhmm
from .web import MONTH_PARAM, family, path_month, planning

PARENT = "A parent with a family file; a child of another family answers 404."


class Activity(BaseModel):
    id: uuid.UUID
    code: str = Field(description="stable key within a school year, e.g. cantine")
    name: str = Field(description="as parents see it: « 2026/2027 - Cantine (11h30 à 13h30) »")
    starts_at: str = Field(description="HH:MM, Paris time")
    ends_at: str = Field(description="HH:MM, Paris time")
    weekdays: list[int] = Field(description="ISO weekdays it runs on (1 = Monday ... 7 = Sunday)")
    holiday_weekdays: list[int] = Field(description="ISO weekdays it runs on during school holidays")
    capacity: int


class ActivityList(BaseModel):
    school_year: str = Field(description="e.g. 2026/2027")
    activities: list[Activity]


async def list_activities(request: web.Request) -> web.Response:
    """This school year's activities, named as parents see them (« 2026/2027 - Cantine ... »)."""
    p = planning(request)
    label = school_year_label(p.now().astimezone(PARIS).date())

    def render(found) -> bytes:
        return ActivityList(
            school_year=label,
            activities=[
                Activity(
                    id=a.id,
                    code=a.code,
                    name=a.display_name,
                    starts_at=hhmm(a.starts_at),
                    ends_at=hhmm(a.ends_at),
                    weekdays=sorted(a.weekdays),
                    holiday_weekdays=sorted(a.holiday_weekdays),
                    capacity=a.capacity,
                )
                for a in found
            ],
        ).model_dump_json().encode()

    return json_bytes(await reads.activity_list(p, label, render))


def json_bytes(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/json")


async def list_children(request: web.Request) -> web.Response:
    return model_response(await children.family_children(planning(request), family(request)))


async def get_month(request: web.Request) -> web.Response:
    dossier_id = family(request)
    child_id = path_uuid(request, "child_id")
    month = path_month(request)
    return json_bytes(await reads.month_view(planning(request), dossier_id, child_id, month))


async def put_month(request: web.Request) -> web.Response:
    dossier_id = family(request)
    child_id = path_uuid(request, "child_id")
    month = path_month(request)
    cmd = await read_json(request, s.MonthChange)
    return model_response(await months.change_month(planning(request), dossier_id, child_id, month, cmd))


async def get_basket(request: web.Request) -> web.Response:
    return model_response(await basket.basket_view(planning(request), family(request)))


async def delete_basket(request: web.Request) -> web.Response:
    await basket.clear_basket(planning(request), family(request))
    return web.Response(status=204)


async def checkout(request: web.Request) -> web.Response:
    p = planning(request)
    dossier_id = family(request)
    return await idempotent(request, lambda key: basket.checkout(p, dossier_id, key), pool=p.pool, status=200)


CHILD_MONTH = "/api/planning/children/{child_id}/months/{month}"

ROUTES = tuple(
    replace(route, operation_id=f"planning_{route.handler.__name__}")
    for route in (
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
        Route(
            "GET",
            "/api/planning/children",
            list_children,
            "The family's children and the activities they are enrolled in",
            "Planning",
            response=s.ChildList,
            errors=(403,),
            access=PARENT,
        ),
        Route(
            "GET",
            CHILD_MONTH,
            get_month,
            "The month grid of one child: per activity, per day, its state and places left",
            "Planning",
            response=s.MonthOut,
            path_params=(MONTH_PARAM,),
            errors=(403, 404, 422),
            access=PARENT,
            description="States: booked, pending, bookable, locked (deadline passed), closed, full.",
        ),
        Route(
            "PUT",
            CHILD_MONTH,
            put_month,
            "« Valider »: the wanted days per activity → the changes and « Coût de la période »",
            "Planning",
            body=s.MonthChange,
            response=s.MonthChanged,
            path_params=(MONTH_PARAM,),
            errors=(403, 404, 409, 503),
            problem=s.DaysProblem,
            problem_statuses=(422,),
            access=PARENT,
            description="Every rule is checked by the server (all or nothing: 422 `rules_violated` lists each refused "
            "day in `days`); 409 `basket_frozen` while a payment is under way; 503 `billing_unavailable` when "
            "billing cannot price the change (nothing is saved).",
        ),
        Route(
            "GET",
            "/api/planning/basket",
            get_basket,
            "« Validation des modifications »: every pending change of the family, priced",
            "Planning",
            response=s.BasketOut,
            errors=(403,),
            access=PARENT,
        ),
        Route(
            "DELETE",
            "/api/planning/basket",
            delete_basket,
            "« Tout supprimer »",
            "Planning",
            status=204,
            errors=(403, 409),
            access=PARENT,
        ),
        Route(
            "POST",
            "/api/planning/basket/checkout",
            checkout,
            "« Payer »: freezes the basket, holds its places, asks billing for the payment",
            "Planning",
            response=s.CheckoutOut,
            headers=(IDEMPOTENCY_PARAM,),
            errors=(400, 403, 409, 422, 503),
            problem=s.DaysProblem,
            problem_statuses=(409, 422),
            access=PARENT,
            description="409 `days_full` (those days leave the basket, listed in `days`), `basket_empty`, "
            "`basket_expired`; 422 `rules_violated` (days past their deadline, dropped); 503 `billing_unavailable` "
            "(the basket is open again, nothing held). A double click answers the same payment.",
        ),
    )
)
