"""The registration wizard's frame: its steps, the draft the browser points to, the gate.

The wizard's state lives at accounts as a registration draft (the password hashed as soon
as step 1 is saved); the browser holds only the draft id, in the HttpOnly ``pf_reg``
cookie. A step whose predecessors are not done redirects back to the first missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..clients import accounts
from ..clients.base import UpstreamProblem
from ..pages import render
from ..settings import GatewaySettings
from .forms import redirect

DRAFT_COOKIE = "pf_reg"
DRAFT_COOKIE_PATH = "/inscription"
DRAFT_COOKIE_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class Step:
    slug: str
    label: str
    done_key: str | None

    @property
    def href(self) -> str:
        return f"/inscription/{self.slug}"


STEPS = (
    Step("informations", "Mes informations", "identity"),
    Step("dossier", "Mes références dossier", "dossier"),
    Step("conditions", "Conditions d'utilisation", "terms"),
    Step("recapitulatif", "Récapitulatif", None),
)
IDENTITY, DOSSIER, TERMS, SUMMARY = STEPS

MESSAGES = {
    "annulee": "Votre inscription a été annulée. Vous pouvez la recommencer ci-dessous.",
    "expiree": "Votre inscription en cours a expiré. Merci de la recommencer.",
}


def set_draft_cookie(response: web.StreamResponse, settings: GatewaySettings, draft_id: str) -> None:
    response.set_cookie(
        DRAFT_COOKIE,
        draft_id,
        max_age=DRAFT_COOKIE_MAX_AGE,
        path=DRAFT_COOKIE_PATH,
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
    )


def clear_draft_cookie(response: web.StreamResponse, settings: GatewaySettings) -> None:
    response.del_cookie(
        DRAFT_COOKIE, path=DRAFT_COOKIE_PATH, httponly=True, samesite="Lax", secure=settings.secure_cookies
    )


async def load_draft(request: web.Request) -> tuple[str | None, dict[str, Any] | None]:
    """``(draft_id, draft)`` from the cookie, or ``(None, None)`` when there is none (left)."""
    draft_id = request.cookies.get(DRAFT_COOKIE)
    if not draft_id:
        return None, None
    try:
        return draft_id, await accounts.get_draft(request, draft_id)
    except accounts.InvalidDraftId:
        return None, None
    except UpstreamProblem as problem:
        if problem.status in (404, 410):
            return None, None
        raise


def done(draft: dict[str, Any] | None) -> dict[str, bool]:
    steps = (draft or {}).get("step_done") or {}
    return {key: bool(steps.get(key)) for key in ("identity", "dossier", "terms")}


def first_missing(draft: dict[str, Any] | None) -> Step:
    finished = done(draft)
    for step in STEPS:
        if step.done_key is None or not finished[step.done_key]:
            return step
    return STEPS[-1]


def gate(request: web.Request, draft: dict[str, Any] | None, step: Step) -> web.Response | None:
    """A redirect to the first step not done yet when ``step`` cannot be shown."""
    first = first_missing(draft)
    if STEPS.index(first) < STEPS.index(step):
        lost = draft is None and DRAFT_COOKIE in request.cookies
        return redirect(first.href + ("?message=expiree" if lost else ""))
    return None


def _indicator(draft: dict[str, Any] | None, current: Step) -> list[dict[str, Any]]:
    finished = done(draft)
    reachable = STEPS.index(first_missing(draft))
    return [
        {
            "number": number,
            "label": step.label,
            "href": step.href,
            "done": step.done_key is not None and finished[step.done_key],
            "current": step is current,
            "reachable": STEPS.index(step) <= reachable,
        }
        for number, step in enumerate(STEPS, start=1)
    ]


def step_page(
    request: web.Request,
    template: str,
    step: Step,
    draft: dict[str, Any] | None,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> web.Response:
    index = STEPS.index(step)
    page = {
        "step": step,
        "step_number": index + 1,
        "steps": _indicator(draft, step),
        "previous": STEPS[index - 1] if index > 0 else None,
        "message": MESSAGES.get(request.query.get("message", "")),
        **context,
    }
    return render(request, f"registration/{template}", page, status=status)
