"""« Messagerie / nous contacter »: read the town's replies, write to a service of the Mairie.

Worded as in chapter 5 of the guide the town gives parents: « Consulter mes messages »,
« Communiquer avec un service de la Mairie » → « Envoyer un message » (Thème, Objet,
Message, « Confirmation par email », « Envoyer ») → the confirmation; « Message(s)
envoyé(s) »; a reply of the town → « Répondre » or « Supprimer ».

Everything lives at messaging (docs/messaging.md); these pages only show it. A thread of
another family is a 404 there, hence here; one the parent deleted is a 410 (to them only),
which a page of its own explains. Forms work without JavaScript: POST → 303 →
GET, the delete asks on a page of its own. Each form carries an idempotency key, so that
a double click (or a resent form) sends one message, not two.
"""

from __future__ import annotations

import asyncio
import functools
import re
import uuid
from typing import Any

import aiohttp
import structlog
from aiohttp import hdrs, web
from servicekit.problems import Problem

from ..clients import messaging
from ..clients.base import UpstreamProblem
from ..pages import render
from .forms import UUID_PATTERN, Form, idempotency_key, login_required, looks_french, read_form, redirect
from .messaging_views import (  # noqa: F401 (french_datetime, french_size: part of this page's API)
    DOWNLOAD_TYPES,
    french_datetime,
    french_size,
    iso_datetime,
    summary_view,
    thread_view,
)

log = structlog.get_logger(__name__)

THREAD_PATH = "/messagerie/{thread_id:" + UUID_PATTERN + "}"
PAGE_SIZE = 20

# ?boite= → messaging's box; the inbox holds the threads the town answered.
BOXES = {"reception": "inbox", "envoyes": "sent"}
MESSAGES = {
    "repondu": "Votre réponse a bien été envoyée.",
    "supprime": "Le message a été supprimé de votre boîte.",
}
SENT_MESSAGE = "Votre message a bien été envoyé."
ATTACHMENT_HINT = "Facultatif. Un fichier PDF, JPEG ou PNG, 5 Mo maximum."
ATTACHMENT_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
FILE_NOT_KEPT = "Pour votre sécurité, la pièce jointe n'a pas été conservée : choisissez-la à nouveau."
ALREADY_SENT = (
    "Ce formulaire a déjà été envoyé. Vérifiez vos « Message(s) envoyé(s) » avant d'envoyer un nouveau message."
)

NEW_FIELDS = ("theme_id", "subject", "body", "attachment", "email_copy")
REPLY_FIELDS = ("body", "attachment", "email_copy")

# messaging's cursors: opaque, URL-safe; anything else starts again at the first page.
_CURSOR = re.compile(r"^[A-Za-z0-9_\-=]{1,200}$")


# --- what the templates show ----------------------------------------------------------


def _thread_id(request: web.Request) -> uuid.UUID:
    # The route's pattern already guarantees the shape; the UUID normalises it.
    return uuid.UUID(request.match_info["thread_id"])


def _box_key(request: web.Request) -> str:
    key = request.query.get("boite", "reception")
    return key if key in BOXES else "reception"


def _list_href(box_key: str, message: str | None = None) -> str:
    params = []
    if box_key != "reception":
        params.append(f"boite={box_key}")
    if message:
        params.append(f"message={message}")
    return "/messagerie" + ("?" + "&".join(params) if params else "")


def _chosen_file(posted) -> messaging.Attachment | None:
    """The file of the form, if one was chosen (an empty file input sends a nameless part)."""
    value = posted.get("attachment")
    if isinstance(value, web.FileField) and value.filename:
        return messaging.Attachment(filename=value.filename, content_type=value.content_type, file=value.file)
    return None


def _apply_send_problem(form: Form, problem: UpstreamProblem, fields: tuple[str, ...]) -> None:
    """A refusal of messaging beside its field; the file's refusals always beside the file."""
    if problem.type_name == "idempotency_key_reused":
        form.summary_title = problem.title
        form.general.append(ALREADY_SENT)
        # Another try is another request: it gets its own key.
        form.values["idempotency_key"] = idempotency_key(None)
        return
    if problem.status in (413, 415) and not problem.errors:
        message = (
            "La pièce jointe est trop volumineuse (5 Mo maximum)."
            if problem.status == 413
            else "La pièce jointe doit être un fichier PDF, JPEG ou PNG."
        )
        form.error("attachment", message)
        return
    form.apply_problem(_french_sentences_first(problem), fields)


def _french_sentences_first(problem: UpstreamProblem) -> UpstreamProblem:
    """messaging writes its own French sentences (« Ce texte ne doit pas dépasser 150
    caractères. »); they say more than the generic one ``forms`` has for their code."""
    errors = [{**e, "code": None} if looks_french(str(e.get("message") or "")) else e for e in problem.errors]
    return UpstreamProblem(problem.status, {**problem.problem, "errors": errors}, retry_after=problem.retry_after)


async def _with_count(request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """The unread count for the navigation; the page goes on without it if need be."""
    context["unread_replies"] = await messaging.unread_replies_for_badge(request)
    return context


def _deleted_said_plainly(handler):
    """A page of a thread the parent deleted (an old e-mail's link, another tab): what
    happened and how to write again, rather than a 404 with a request reference."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except UpstreamProblem as problem:
            if problem.status != 410:
                raise
        return render(request, "messaging/deleted.html", await _with_count(request, {}), status=410)

    return wrapped


# --- « Consulter mes messages » -------------------------------------------------------


@login_required
async def index(request: web.Request) -> web.Response:
    box_key = _box_key(request)
    cursor = request.query.get("curseur")
    cursor = cursor if cursor and _CURSOR.match(cursor) else None
    page, unread = await asyncio.gather(
        messaging.list_threads(request, BOXES[box_key], cursor=cursor, limit=PAGE_SIZE),
        messaging.unread_replies_for_badge(request),
    )
    threads = [summary_view(t) for t in page.get("threads") or [] if isinstance(t, dict) and t.get("id")]
    next_cursor = page.get("next_cursor")
    next_href = None
    if isinstance(next_cursor, str) and _CURSOR.match(next_cursor):
        next_href = _list_href(box_key) + ("&" if box_key != "reception" else "?") + f"curseur={next_cursor}"
    message_key = request.query.get("message", "")
    try:
        deleted_count = max(0, int(page.get("deleted_count") or 0))
    except (TypeError, ValueError):
        deleted_count = 0
    context = {
        "box": box_key,
        "threads": threads,
        # An empty box the parent emptied is not one where nothing was ever written.
        "deleted_count": deleted_count,
        "next_href": next_href,
        "first_href": _list_href(box_key) if cursor else None,
        "message": MESSAGES.get(message_key),
        "unread_replies": unread,
    }
    return render(request, "messaging/index.html", context)


# --- « Envoyer un message » -----------------------------------------------------------


def _new_page(
    request: web.Request,
    themes: list[dict[str, Any]],
    form: Form,
    *,
    status: int = 200,
    unread_replies: int | None = None,
) -> web.Response:
    context = {
        "themes": themes,
        "form": form,
        "attachment_hint": ATTACHMENT_HINT,
        "attachment_accept": ATTACHMENT_ACCEPT,
        "unread_replies": unread_replies,
    }
    return render(request, "messaging/new.html", context, status=status)


@login_required
async def new_form(request: web.Request) -> web.Response:
    themes, unread = await asyncio.gather(messaging.list_themes(request), messaging.unread_replies_for_badge(request))
    values: dict[str, Any] = {"idempotency_key": idempotency_key(None), "email_copy": False}
    # « Communiquer avec … » from a page about one theme may preselect it.
    wanted = request.query.get("theme", "")
    if any(str(t["id"]) == wanted for t in themes):
        values["theme_id"] = wanted
    return _new_page(request, themes, Form(values=values), unread_replies=unread)


@login_required
async def send(request: web.Request) -> web.Response:
    themes = await messaging.list_themes(request)
    values: dict[str, Any] = await read_form(request, ("theme_id", "subject", "body", "email_copy", "idempotency_key"))
    values["email_copy"] = values["email_copy"] == "oui"
    values["idempotency_key"] = idempotency_key(values["idempotency_key"])
    attachment = _chosen_file(await request.post())
    form = Form(values=values)
    if not values["theme_id"]:
        form.error("theme_id", "Choisissez le thème de votre message.")
    elif not any(str(t["id"]) == values["theme_id"] for t in themes):
        form.error("theme_id", "Choisissez un thème dans la liste.")
    if not values["subject"]:
        form.error("subject", "Saisissez l'objet de votre message.")
    if not values["body"]:
        form.error("body", "Écrivez votre message.")
    status = 422
    if not form.has_errors:
        try:
            thread = await messaging.start_thread(
                request,
                theme_id=values["theme_id"],
                subject=values["subject"],
                body=values["body"],
                email_copy=values["email_copy"],
                attachment=attachment,
                idempotency_key=values["idempotency_key"],
            )
        except UpstreamProblem as problem:
            if problem.status not in (409, 413, 415, 422):
                raise
            _apply_send_problem(form, problem, NEW_FIELDS)
            status = problem.status
        else:
            try:
                thread_id = uuid.UUID(str(thread.get("id")))
            except ValueError:
                log.warning("upstream_answer_malformed", service="messaging", call="start_thread")
                raise Problem(502) from None
            return redirect(f"/messagerie/{thread_id}/confirmation")
    if attachment is not None and "attachment" not in form.errors:
        form.error("attachment", FILE_NOT_KEPT)
    return _new_page(request, themes, form, status=status)


@login_required
@_deleted_said_plainly
async def confirmation(request: web.Request) -> web.Response:
    """« La confirmation apparaît. » The copy by e-mail is said as messaging stored it."""
    thread = thread_view(await messaging.get_thread(request, _thread_id(request)))
    first = thread.messages[0] if thread.messages else None
    context = {"thread": thread, "message": SENT_MESSAGE, "email_copy": first.email_copy if first else None}
    return render(request, "messaging/confirmation.html", await _with_count(request, context))


# --- a thread: read, « Répondre », « Supprimer » --------------------------------------


async def _thread_page(
    request: web.Request, form: Form, *, message: str | None = None, status: int = 200
) -> web.Response:
    thread = thread_view(await messaging.get_thread(request, _thread_id(request)))
    box_key = _box_key(request)
    context = {
        "thread": thread,
        "form": form,
        "box": box_key,
        "list_href": _list_href(box_key),
        "message": message,
        "attachment_hint": ATTACHMENT_HINT,
        "attachment_accept": ATTACHMENT_ACCEPT,
    }
    # After the thread: reading it has just marked its replies read.
    return render(request, "messaging/thread.html", await _with_count(request, context), status=status)


@login_required
@_deleted_said_plainly
async def view(request: web.Request) -> web.Response:
    form = Form(values={"idempotency_key": idempotency_key(None), "email_copy": False})
    return await _thread_page(request, form, message=MESSAGES.get(request.query.get("message", "")))


@login_required
@_deleted_said_plainly
async def reply(request: web.Request) -> web.Response:
    thread_id = _thread_id(request)
    values: dict[str, Any] = await read_form(request, ("body", "email_copy", "idempotency_key"))
    values["email_copy"] = values["email_copy"] == "oui"
    values["idempotency_key"] = idempotency_key(values["idempotency_key"])
    attachment = _chosen_file(await request.post())
    form = Form(values=values)
    status = 422
    if not values["body"]:
        form.error("body", "Écrivez votre réponse.")
    else:
        try:
            await messaging.add_message(
                request,
                thread_id,
                body=values["body"],
                email_copy=values["email_copy"],
                attachment=attachment,
                idempotency_key=values["idempotency_key"],
            )
        except UpstreamProblem as problem:
            if problem.status not in (409, 413, 415, 422):
                raise
            _apply_send_problem(form, problem, REPLY_FIELDS)
            status = problem.status
        else:
            box = _box_key(request)
            suffix = f"&boite={box}" if box != "reception" else ""
            return redirect(f"/messagerie/{thread_id}?message=repondu{suffix}")
    if attachment is not None and "attachment" not in form.errors:
        form.error("attachment", FILE_NOT_KEPT)
    return await _thread_page(request, form, status=status)


@login_required
@_deleted_said_plainly
async def delete_form(request: web.Request) -> web.Response:
    """« Supprimer »: asked on a page of its own (no script to confirm with)."""
    thread = thread_view(await messaging.get_thread(request, _thread_id(request)))
    box_key = _box_key(request)
    context = {"thread": thread, "box": box_key}
    return render(request, "messaging/delete.html", await _with_count(request, context))


@login_required
async def delete(request: web.Request) -> web.Response:
    posted = await read_form(request, ("boite",))
    await messaging.delete_thread(request, _thread_id(request))
    box_key = posted["boite"] if posted["boite"] in BOXES else "reception"
    return redirect(_list_href(box_key, "supprime"))


@login_required
@_deleted_said_plainly
async def download(request: web.Request) -> web.StreamResponse:
    """An attachment, streamed from messaging: always a download, never sniffed or cached."""
    attachment_id = uuid.UUID(request.match_info["attachment_id"])
    async with messaging.open_attachment(request, _thread_id(request), attachment_id) as upstream:
        content_type = upstream.headers.get(hdrs.CONTENT_TYPE, "").split(";")[0].strip().lower()
        disposition = upstream.headers.get(hdrs.CONTENT_DISPOSITION, "")
        response = web.StreamResponse(
            headers={
                hdrs.CONTENT_TYPE: content_type if content_type in DOWNLOAD_TYPES else "application/octet-stream",
                # messaging names the file; whatever it says, the browser saves it.
                hdrs.CONTENT_DISPOSITION: disposition if disposition.startswith("attachment") else "attachment",
                "X-Content-Type-Options": "nosniff",
                hdrs.CACHE_CONTROL: "private, no-store",
            }
        )
        if upstream.content_length is not None:
            response.content_length = upstream.content_length
        await response.prepare(request)
        try:
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
        except ConnectionResetError:  # the parent left (aiohttp's own is a ClientError too)
            log.info("client_disconnected", service="messaging")
            return response
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("attachment_download_interrupted", error=type(exc).__name__)
            # The headers are gone: only a cut connection tells the browser the file is
            # incomplete (finishing normally would make a truncated file look whole).
            if request.transport is not None:
                request.transport.abort()
            return response
        await response.write_eof()
        return response


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/messagerie", index, name="messaging")
    r.add_get("/messagerie/nouveau", new_form)
    r.add_post("/messagerie/nouveau", send)
    r.add_get(THREAD_PATH, view)
    r.add_get(THREAD_PATH + "/confirmation", confirmation)
    r.add_post(THREAD_PATH + "/repondre", reply)
    r.add_get(THREAD_PATH + "/supprimer", delete_form)
    r.add_post(THREAD_PATH + "/supprimer", delete)
    r.add_get(THREAD_PATH + "/pieces-jointes/{attachment_id:" + UUID_PATTERN + "}", download)
