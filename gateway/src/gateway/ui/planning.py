"""« Planning »: a child's month, « Modifier » → « Valider » → « Coût de la période ».

Worded as chapter 3 of the guide the town gives parents: « Cliquez sur l'enfant », the
month arrows, « Arthur : Décembre 2026 », « Modifier », « Cochez les jours de présence
souhaités et cliquez sur « Valider » », « Les modifications ont été validées », « Coût de
la période : 11,22 € », « Terminer les modifications » (→ the basket, ``ui/basket.py``).

Planning owns the days and their rules (docs/saga.md); these pages only show its grid and
send the wanted days. Without JavaScript: « Modifier » is a page of its own with a
checkbox per editable day, « Valider » posts it, and a success redirects (303) to the month
with the period's cost in a signed query parameter, so that reloading the page neither
sends the form again nor loses the cost, and nothing has to be kept between requests.
A refusal (422 per day, 409 while a payment is under way, 503 without billing) renders the
form again with the days as ticked and the messages beside the grid; nothing changed.
"""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from servicekit.problems import Problem

from ..clients import planning
from ..clients.base import UpstreamProblem
from ..pages import render
from ..settings import SETTINGS
from .formats import current_month, money, parse_date
from .forms import UUID_PATTERN, Form, login_required, redirect, sign, unsign, without_dossier
from .grid import DayCells, MonthGrid, legend, month_grid, show_ticks, ticked_days, wanted_dates

MONTH_PATTERN = "[0-9]{4}-(?:0[1-9]|1[0-2])"
MONTH_PATH = "/planning/{child_id:" + UUID_PATTERN + "}/{month:" + MONTH_PATTERN + "}"

COST_PURPOSE = b"pf-period-cost"
VALIDATED = "Les modifications ont été validées."
QUOTE_UNAVAILABLE = (
    "Le calcul du coût est momentanément indisponible. Vos modifications n'ont pas été enregistrées. "
    "Veuillez réessayer dans quelques minutes."
)
REFUSED_SUMMARY = "Certains jours ne peuvent pas être modifiés. Vos réservations n'ont pas été modifiées."
NO_CHILD = "Aucun enfant de votre dossier n'est inscrit à une activité pour le moment."


def _child_id(request: web.Request) -> uuid.UUID:
    return uuid.UUID(request.match_info["child_id"])


def _month(request: web.Request) -> str:
    return request.match_info["month"]


async def _grid(request: web.Request, errors: dict[tuple[str, str], str] | None = None) -> MonthGrid:
    month = _month(request)
    doc = await planning.get_month(request, _child_id(request), month)
    grid = month_grid(doc, month, errors)
    # The URL says which child: planning's answer must not show another one.
    grid.child_id = str(_child_id(request))
    return grid


# --- « Cliquez sur l'enfant » -----------------------------------------------------------


@login_required
async def children(request: web.Request) -> web.Response:
    if (page := without_dossier(request, "Planning")) is not None:
        return page
    found = await planning.list_children(request)
    month = current_month()
    choices = []
    for child in found:
        try:
            child_id = uuid.UUID(str(child["id"]))
        except ValueError:
            continue
        name = " ".join(str(child.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
        activities = [
            str(a.get("name")) for a in child.get("activities") or [] if isinstance(a, dict) and a.get("name")
        ]
        choices.append({"href": f"/planning/{child_id}/{month}", "name": name or "Enfant", "activities": activities})
    if len(choices) == 1:
        # One child: nothing to choose, straight to this month.
        raise web.HTTPSeeOther(choices[0]["href"])
    return render(request, "planning/children.html", {"children": choices, "no_child": NO_CHILD})


# --- the month --------------------------------------------------------------------------


def _validated(request: web.Request) -> dict[str, str] | None:
    """The signed result of « Valider » carried by the redirect, if it is for this month."""
    data = unsign(request.app[SETTINGS], COST_PURPOSE, request.query.get("valide"))
    if not data or data.get("child") != str(_child_id(request)) or data.get("month") != _month(request):
        return None
    return data


@login_required
async def month(request: web.Request) -> web.Response:
    grid = await _grid(request)
    context = {"grid": grid, "legend": legend(), "validated": _validated(request), "validated_message": VALIDATED}
    return render(request, "planning/month.html", context)


# --- « Modifier » → « Valider » ---------------------------------------------------------


def _edit_page(request: web.Request, grid: MonthGrid, form: Form, *, status: int = 200) -> web.Response:
    return render(request, "planning/edit.html", {"grid": grid, "legend": legend(), "form": form}, status=status)


@login_required
async def edit(request: web.Request) -> web.Response:
    grid = await _grid(request)
    if not grid.editable:
        # Nothing can change this month (closed, past its deadlines): the month says why.
        raise web.HTTPSeeOther(grid.href)
    return _edit_page(request, grid, Form())


def _posted_days(posted) -> dict[str, list[str]]:
    days: dict[str, list[str]] = {}
    for name, value in posted.items():
        if name != "csrf_token" and isinstance(value, str):
            days.setdefault(name, []).append(value)
    return days


def _day_errors(problem: UpstreamProblem) -> tuple[dict[tuple[str, str], str], list[str]]:
    """planning's per-day refusals (``days: [{date, activity_id, code, message}]``): by cell,
    and the sentences that name no day of the grid."""
    by_cell: dict[tuple[str, str], str] = {}
    sentences: list[str] = []
    for day in problem.problem.get("days") or []:
        if not isinstance(day, dict):
            continue
        when = parse_date(day.get("date"))
        message = str(day.get("message") or "").strip() or "Ce jour ne peut pas être modifié."
        if when is None:
            sentences.append(message)
        else:
            by_cell[(str(day.get("activity_id") or ""), when.isoformat())] = message
    return by_cell, sentences


@login_required
async def validate(request: web.Request) -> web.Response:
    grid = await _grid(request)
    ticked = ticked_days(grid, _posted_days(await request.post()))
    wanted = wanted_dates(grid, ticked)
    form = Form()
    try:
        answer: dict[str, Any] = await planning.put_month(request, _child_id(request), _month(request), wanted)
    except UpstreamProblem as problem:
        if problem.status not in (409, 422):
            raise
        status = problem.status
        if problem.type_name == "rules_violated" or problem.problem.get("days"):
            by_cell, sentences = _day_errors(problem)
            grid = await _grid(request, by_cell)
            form.summary_title = REFUSED_SUMMARY
            # A refusal of a day the grid does not show still says something.
            shown = {(row.id, c.date.isoformat()) for row in grid.rows for c in row.cells if c.error}
            form.general.extend(sentences + [m for key, m in by_cell.items() if key not in shown])
            if not form.general and not shown:
                form.general.append(problem.title)
        else:
            form.summary_title = problem.title
            form.general.append(problem.title)
    except Problem as problem:
        if problem.status != 503:
            raise
        status = 503
        form.summary_title = QUOTE_UNAVAILABLE
        form.general.append(QUOTE_UNAVAILABLE)
    else:
        data = {"child": str(_child_id(request)), "month": _month(request)}
        data["cost"] = money(answer, "period_cost")
        data["changes"] = str(len(answer.get("changes") or []))
        return redirect(f"{grid.href}?valide={sign(request.app[SETTINGS], COST_PURPOSE, data)}")
    show_ticks(grid, ticked)
    return _edit_page(request, grid, form, status=status)


def setup(app: web.Application) -> None:
    aiohttp_jinja2.get_env(app).globals["day_cells"] = DayCells()
    r = app.router
    r.add_get("/planning", children, name="planning")
    r.add_get(MONTH_PATH, month)
    r.add_get(MONTH_PATH + "/modifier", edit)
    r.add_post(MONTH_PATH + "/modifier", validate)
