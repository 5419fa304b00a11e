"""An in-process stand-in for the planning service: the parents' half of docs/saga.md.

A real aiohttp server keeping a town's activities, a family's children, their bookings and
baskets in memory, answering as docs/saga.md says: the month grid (``booked``, ``pending``,
``bookable``, ``locked``, ``closed`` with its label, ``full``, places left), « Valider »
(422 ``rules_violated`` per day, 409 ``basket_frozen``, 503 without billing), the basket,
« Tout supprimer » and « Payer » (Idempotency-Key replays, 409 ``days_full`` dropping the
days, 409 ``basket_empty``, 503). Another family's child is a 404, as at planning.

Billing's half of the saga is played by ``fake_billing`` in the same process: the two
states are linked (``link``) so that a payment decided at the simulated Treasury confirms
the basket here, as ``billing.payment.succeeded`` would.

Held to planning's OpenAPI document like the other fakes (``contracts.checked``).
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web
from babel.dates import format_date
from babel.numbers import format_currency

from .contracts import checked
from .fake_accounts import TYPE, refusal, require_identity
from .standins import SEEN, SERVICE_NAME, echo, health, misbehaving_routes, remember

YEAR = "2026/2027"
UNIT_PRICE_CENTS = 374
HOLD = timedelta(minutes=30)
PENDING_STATES = ("add", "remove")


def euros(cents: int) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale="fr_FR")


def french_month(month: str) -> str:
    text = format_date(date.fromisoformat(month + "-01"), "LLLL y", locale="fr_FR")
    return text[:1].upper() + text[1:]


@dataclass
class Activity:
    id: str
    name: str
    weekdays: frozenset[int]  # 0 = Monday
    capacity: int = 40


@dataclass
class Child:
    id: str
    dossier_id: str
    first_name: str
    last_name: str
    activity_ids: list[str]


@dataclass
class Basket:
    id: str
    dossier_id: str
    changes: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (child, activity, date) → add|remove
    status: str = "open"
    expires_at: datetime | None = None
    checkout_id: str | None = None
    answer: dict[str, Any] | None = None  # the checkout's answer while frozen


@dataclass
class State:
    activities: dict[str, Activity] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    reservations: set[tuple[str, str, str]] = field(default_factory=set)
    taken_by_others: dict[tuple[str, str], int] = field(default_factory=dict)
    open_months: set[str] = field(default_factory=lambda: {"2026-12", "2027-01"})
    closures: dict[str, str] = field(default_factory=lambda: {"2026-12-25": "Noël", "2027-01-01": "Jour de l'an"})
    # Days before this one are past their deadline (the Sunday 21:00 rule, frozen in time).
    deadline_passed_before: date = date(2026, 12, 7)
    baskets: dict[str, Basket] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    billing_down: bool = False
    # The provider's payment page; the simulated Treasury's (a path of the gateway) by default.
    provider_url: str = "/simulated-treasury/"
    received: list[dict[str, Any]] = field(default_factory=list)
    billing: Any = None  # fake_billing.State, linked by ``link``

    def __post_init__(self) -> None:
        for name, weekdays in (
            ("Cantine (11h30 à 13h30)", {0, 1, 3, 4}),
            ("Périscolaire matin (7h à 8h30)", {0, 1, 3, 4}),
            ("ALSH Mercredi (7h à 19h)", {2}),
        ):
            activity = Activity(str(uuid.uuid4()), f"{YEAR} - {name}", frozenset(weekdays))
            self.activities[activity.id] = activity

    def activity(self, short: str) -> Activity:
        return next(a for a in self.activities.values() if short in a.name)

    def add_child(self, dossier_id: str, first_name: str = "Arthur", last_name: str = "Le Derf") -> Child:
        child = Child(str(uuid.uuid4()), str(dossier_id), first_name, last_name, list(self.activities))
        self.children[child.id] = child
        return child

    def basket(self, dossier_id: str) -> Basket:
        return self.baskets.setdefault(str(dossier_id), Basket(str(uuid.uuid4()), str(dossier_id)))

    def booked_count(self, activity_id: str, day: str) -> int:
        mine = sum(1 for (_, a, d) in self.reservations if a == activity_id and d == day)
        held = sum(
            1
            for b in self.baskets.values()
            if b.status == "checking_out"
            for (_, a, d), change in b.changes.items()
            if change == "add" and a == activity_id and d == day
        )
        return mine + held + self.taken_by_others.get((activity_id, day), 0)

    def fill(self, activity_id: str, day: str) -> None:
        """Other families take every place left on that day."""
        activity = self.activities[activity_id]
        self.taken_by_others[(activity_id, day)] = activity.capacity - (self.booked_count(activity_id, day))

    # --- the saga, as billing's events would drive it ---------------------------------

    def confirm(self, basket_id: str) -> None:
        for basket in self.baskets.values():
            if basket.id == basket_id and basket.status == "checking_out":
                for key, change in basket.changes.items():
                    (self.reservations.add if change == "add" else self.reservations.discard)(key)
                self.baskets.pop(basket.dossier_id)
                return

    def release(self, basket_id: str) -> None:
        for basket in self.baskets.values():
            if basket.id == basket_id:
                basket.status, basket.expires_at, basket.answer = "open", None, None


STATE = web.AppKey("fake_planning_state", State)


def problem(status: int, type_: str, title: str, **extra: Any) -> web.Response:
    """problem+json with the members planning adds (``days``)."""
    doc = {"type": TYPE + type_, "title": title, "status": status, **extra}
    return web.json_response(doc, status=status, content_type="application/problem+json")


def state(request: web.Request) -> State:
    return request.app[STATE]


def dossier_of(request: web.Request) -> str:
    """The caller's dossier, as servicekit's ``require_dossier`` reads it (403 without one)."""
    identity = require_identity(request)
    if identity.dossier_id is None:
        raise refusal(403, "no_dossier", "Votre compte n'est pas encore rattaché à un dossier famille.")
    return str(identity.dossier_id)


def own_child(request: web.Request) -> Child:
    child = state(request).children.get(request.match_info["child_id"])
    if child is None or child.dossier_id != dossier_of(request):
        raise refusal(404, "unknown_child", "Cet enfant n'existe pas.")
    return child


@web.middleware
async def record(request: web.Request, handler):
    body = await request.json() if request.content_type == "application/json" and request.body_exists else None
    request.app[STATE].received.append(
        {"method": request.method, "path": request.path, "headers": dict(request.headers), "json": body}
    )
    return await handler(request)


# --- the grid -----------------------------------------------------------------------


def month_days(month: str) -> list[date]:
    year, number = (int(p) for p in month.split("-"))
    return [date(year, number, d) for d in range(1, calendar.monthrange(year, number)[1] + 1)]


def shift(month: str, by: int) -> str:
    year, number = (int(p) for p in month.split("-"))
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def day_doc(st: State, child: Child, activity: Activity, day: date, month: str) -> dict[str, Any]:
    key = (child.id, activity.id, day.isoformat())
    basket = st.baskets.get(child.dossier_id)
    change = basket.changes.get(key) if basket else None
    frozen = bool(basket and basket.status == "checking_out")
    reason = label = None
    if month not in st.open_months:
        reason = "month_closed"
    elif day.isoformat() in st.closures:
        reason, label = "public_holiday", st.closures[day.isoformat()]
    elif day.weekday() not in activity.weekdays:
        reason = "weekday"
    places = None if reason else activity.capacity - st.booked_count(activity.id, day.isoformat())
    booked = key in st.reservations
    if reason:
        the_state = "closed"
    elif change is not None:
        the_state = "pending"  # planning's precedence: a pending change before the booking
    elif booked:
        the_state = "booked"
    elif day < st.deadline_passed_before:
        the_state = "locked"
    elif places is not None and places <= 0:
        the_state = "full"
    else:
        the_state = "bookable"
    editable = not reason and day >= st.deadline_passed_before and not frozen and (the_state != "full" or booked)
    return {
        "date": day.isoformat(),
        "state": the_state,
        "editable": editable,
        "places_left": places,
        "reason": reason,
        "label": label,
        "pending_change": change,
        "booked": booked,
    }


async def list_children(request: web.Request) -> web.Response:
    st, dossier = state(request), dossier_of(request)
    children = [
        {
            "id": c.id,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "activities": [{"id": a, "name": st.activities[a].name} for a in c.activity_ids],
        }
        for c in st.children.values()
        if c.dossier_id == dossier
    ]
    return web.json_response({"children": children})


async def get_month(request: web.Request) -> web.Response:
    st, child, month = state(request), own_child(request), request.match_info["month"]
    basket = st.baskets.get(child.dossier_id)
    activities = [
        {
            "id": a.id,
            "name": a.name,
            "days": [day_doc(st, child, a, d, month) for d in month_days(month)],
        }
        for a in (st.activities[i] for i in child.activity_ids)
    ]
    doc = {
        "child": {"id": child.id, "first_name": child.first_name},
        "month": month,
        "label": french_month(month),
        "previous_month": shift(month, -1),
        "next_month": shift(month, 1),
        "open": month in st.open_months,
        "activities": activities,
        "basket": {
            "lines": len(basket.changes) if basket else 0,
            "expires_at": basket.expires_at.isoformat() if basket and basket.expires_at else None,
        },
    }
    return web.json_response(doc)


def fake_planning() -> web.Application:
    # Here, not at the top: those handlers build on this module's state and helpers.
    from .fake_planning_basket import checkout, delete_basket, get_basket, put_month

    app = checked(web.Application(middlewares=[remember, record]), "planning")
    app[SERVICE_NAME] = "planning"
    app[SEEN] = []
    app[STATE] = State()
    r = app.router
    r.add_get("/health", health)
    misbehaving_routes(app, "planning")
    month = "/api/planning/children/{child_id}/months/{month:[0-9]{4}-[0-9]{2}}"
    r.add_get("/api/planning/children", list_children)
    r.add_get(month, get_month)
    r.add_put(month, put_month)
    r.add_get("/api/planning/basket", get_basket)
    r.add_delete("/api/planning/basket", delete_basket)
    r.add_post("/api/planning/basket/checkout", checkout)
    r.add_route("*", "/{tail:.*}", echo)
    return app
