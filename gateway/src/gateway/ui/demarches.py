"""« Mes démarches » on « Mon dossier »: what the family asked the town, with its state and
a link to its page — the conversations with the town (messaging), the tax-attestation
requests and the latest QF proof (billing's parent API).

Each part comes from its own service; one that does not answer leaves a French sentence in
its place, the rest of « Mon dossier » still shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from aiohttp import web
from servicekit.problems import Problem

from ..clients import messaging
from ..clients.base import UpstreamProblem, call
from .documents import DOCUMENTS, attestation_requests
from .formats import long_date
from .messaging_views import summary_view
from .qf import PATH as QF_PAGE
from .qf import PROOF_STATES

log = structlog.get_logger(__name__)

T = TypeVar("T")
THREADS_SHOWN = 5
PROOF_KINDS = {"avis_imposition": "avis d'imposition", "attestation_caf": "attestation CAF"}


@dataclass
class Step:
    """One request of the family: what it is, its state, where to follow it."""

    title: str
    state: str
    href: str
    when: str = ""
    new: bool = False


@dataclass
class Demarches:
    messages: list[Step] | None = None  # None: messaging did not answer
    more_messages: bool = False
    attestations: list[Step] | None = None
    qf_proof: Step | None = None
    qf_unavailable: bool = False


def thread_state(doc: dict[str, Any]) -> tuple[str, bool]:
    """A conversation's state as the parent reads it, and whether a reply is new."""
    view = summary_view(doc)
    if view.unread:
        return ("Nouvelle réponse" if view.unread == 1 else f"{view.unread} nouvelles réponses"), True
    if view.closed:
        return "Terminé", False
    return ("Répondu" if view.has_reply else "En attente de réponse de la Mairie"), False


def _thread_step(doc: dict[str, Any]) -> Step:
    view = summary_view(doc)
    state, new = thread_state(doc)
    title = f"Message « {view.subject} »" + (f" ({view.theme})" if view.theme else "")
    return Step(title=title, state=state, href=f"/messagerie/{view.id}", when=view.when, new=new)


def _proof_step(doc: dict[str, Any]) -> Step | None:
    proof = doc.get("latest_proof")
    if not isinstance(proof, dict):
        return None
    state = PROOF_STATES.get(str(proof.get("state")), "")
    if proof.get("state") == "rejected" and proof.get("reject_reason"):
        state += f" : {proof['reject_reason']}"
    kind = PROOF_KINDS.get(str(proof.get("kind")), "justificatif")
    title = f"Justificatif de quotient familial {proof.get('year', '')} ({kind})"
    return Step(title=title, state=state, href=QF_PAGE, when=long_date(str(proof.get("uploaded_at") or "")[:10]))


async def _tolerant(what: str, call_: Awaitable[T]) -> T | None:
    """A service's answer, or ``None`` when it is down or refuses (the page goes on)."""
    try:
        return await call_
    except (Problem, UpstreamProblem) as exc:
        log.info("demarches_part_unavailable", part=what, status=getattr(exc, "status", None))
        return None


async def family_demarches(request: web.Request) -> Demarches:
    threads, attestations, qf = await asyncio.gather(
        _tolerant("messages", messaging.list_threads(request, "sent", limit=THREADS_SHOWN + 1)),
        _tolerant("attestations", attestation_requests(request)),
        _tolerant("qf", call(request, "billing", "GET", "/api/billing/qf")),
    )
    found = Demarches()
    if threads is not None:
        docs = [t for t in threads.get("threads") or [] if isinstance(t, dict)]
        found.messages = [_thread_step(t) for t in docs[:THREADS_SHOWN]]
        found.more_messages = len(docs) > THREADS_SHOWN or bool(threads.get("next_cursor"))
    if attestations is not None:
        found.attestations = [
            Step(title=f"Attestation fiscale {a['year']}", state=a["state"], href=a["href"] or DOCUMENTS,
                 when=a["requested_on"])
            for a in attestations
        ]  # fmt: skip
    if isinstance(qf, dict):
        found.qf_proof = _proof_step(qf)
    else:
        found.qf_unavailable = True
    return found
