"""An in-process stand-in for the messaging service: the parents' half of its contract.

A real aiohttp server keeping threads in memory, answering as docs/messaging.md says
(JSON shapes, problem+json with French titles and per-field errors, 404 for another
parent's thread, 409 once closed, 413/415 for attachments, Idempotency-Key replays), so
that the gateway's pages are exercised over HTTP. Identity tokens are verified as the
service does. Every request is recorded with its fields and file bytes, for the tests to
check what the gateway forwarded. Anything else falls through to the echo of ``standins``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web
from servicekit.identity import Identity

from .contracts import checked, multipart_fields
from .fake_accounts import TYPE, UNAUTHENTICATED, identity_of, problem, refusal
from .standins import SEEN, SERVICE_NAME, echo, health, misbehaving_routes, remember

MAX_BYTES = 5 * 1024 * 1024
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
INVALID = "Certaines informations saisies ne sont pas valides."
DELETED = "Vous avez supprimé cette conversation de votre messagerie."


@dataclass
class Message:
    id: str
    author: str  # parent | staff
    body: str
    created_at: datetime
    read_at: datetime | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    email_copy: str | None = None  # the copy's delivery state; None: no copy asked for


@dataclass
class Thread:
    id: str
    user_id: str
    theme_id: str
    subject: str
    state: str = "open"
    hidden: bool = False
    messages: list[Message] = field(default_factory=list)

    @property
    def last_message_at(self) -> datetime:
        return self.messages[-1].created_at


@dataclass
class State:
    themes: list[dict[str, str]] = field(default_factory=list)
    threads: dict[str, Thread] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    idempotency: dict[tuple[str, str], tuple[str, dict[str, Any]]] = field(default_factory=dict)
    notification_delay: float = 0.0
    clock: datetime = field(default_factory=lambda: datetime(2026, 11, 27, 10, 5, tzinfo=UTC))

    def __post_init__(self) -> None:
        for code, label in (
            ("scolaire", "Scolaire"),
            ("periscolaire", "Périscolaire / Animation"),
            ("restauration", "Restauration"),
            ("facturation", "Facturation"),
        ):
            self.themes.append({"id": str(uuid.uuid4()), "code": code, "label": label})

    def theme(self, code_or_id: str) -> dict[str, str]:
        return next(t for t in self.themes if code_or_id in (t["code"], t["id"]))

    def tick(self) -> datetime:
        self.clock += timedelta(minutes=1)
        return self.clock

    def add_thread(self, user_id: str, subject: str = "Allergie", theme: str = "restauration", body: str = "Bonjour,"):
        thread = Thread(str(uuid.uuid4()), str(user_id), self.theme(theme)["id"], subject)
        thread.messages.append(Message(str(uuid.uuid4()), "parent", body, self.tick()))
        self.threads[thread.id] = thread
        return thread

    def staff_reply(self, thread_id: str, body: str = "Bonjour, c'est noté.", *, at: datetime | None = None) -> Message:
        thread = self.threads[thread_id]
        message = Message(str(uuid.uuid4()), "staff", body, at or self.tick())
        thread.messages.append(message)
        thread.hidden = False  # a later reply puts it back in the parent's box
        return message

    def attach(self, message: Message, thread_id: str, filename: str, content: bytes, content_type: str) -> str:
        attachment_id = str(uuid.uuid4())
        self.files[attachment_id] = content
        message.attachments.append(
            {
                "id": attachment_id,
                "filename": filename,
                "content_type": content_type,
                "size_bytes": len(content),
                "url": f"/api/messaging/threads/{thread_id}/attachments/{attachment_id}",
            }
        )
        return attachment_id

    def calls(self, method: str, path_start: str = "/api/messaging/threads") -> list[dict[str, Any]]:
        return [r for r in self.received if r["method"] == method and r["path"].startswith(path_start)]


STATE = web.AppKey("fake_messaging_state", State)
RECORDED = web.RequestKey("fake_messaging_recorded", dict)


def state(request: web.Request) -> State:
    return request.app[STATE]


def parent(request: web.Request) -> Identity:
    identity = identity_of(request)
    if identity is None:
        raise refusal(*UNAUTHENTICATED)
    return identity


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def thread_doc(st: State, thread: Thread) -> dict[str, Any]:
    theme = st.theme(thread.theme_id)
    return {
        "id": thread.id,
        "theme_id": thread.theme_id,
        "theme_label": theme["label"],
        "subject": thread.subject,
        "state": thread.state,
        "created_at": iso(thread.messages[0].created_at),
        "last_message_at": iso(thread.last_message_at),
        "messages": [
            {
                "id": m.id,
                "author": m.author,
                "author_label": "Vous" if m.author == "parent" else f"Mairie – {theme['label']}",
                "body": m.body,
                "created_at": iso(m.created_at),
                "read_at": iso(m.read_at),
                "attachments": m.attachments,
                "email_copy": m.email_copy,
            }
            for m in thread.messages
        ],
    }


def own_thread(request: web.Request) -> Thread:
    """404 for none or another parent's; 410 for their own once deleted (and only theirs)."""
    thread = state(request).threads.get(request.match_info["id"])
    if thread is None or thread.user_id != str(parent(request).user_id):
        raise refusal(404, "not_found", "Ce message n'existe pas.")
    if thread.hidden:
        doc = {"type": TYPE + "thread_deleted", "title": DELETED, "status": 410}
        raise web.HTTPGone(text=json.dumps(doc), content_type="application/problem+json")
    return thread


def copy_state(fields: dict[str, Any]) -> str | None:
    """A copy asked for is queued (« pending ») with the message, as messaging does."""
    return "pending" if str(fields.get("email_copy")).lower() == "true" else None


@web.middleware
async def record(request: web.Request, handler):
    """What came in: fields, file bytes, identity, headers (the body is read here once)."""
    entry: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "query": dict(request.query),
        "identity": identity_of(request),
        "headers": dict(request.headers),
        "content_type": request.content_type,
        "fields": {},
        "file": None,
    }
    if request.content_type == "multipart/form-data":
        entry["fields"], entry["file"] = await multipart_fields(request)
    elif request.content_type == "application/json" and request.body_exists:
        entry["fields"] = json.loads(await request.read())
    request.app[STATE].received.append(entry)
    request[RECORDED] = entry
    return await handler(request)


def validate(fields: dict[str, Any], names: tuple[str, ...], *, multipart: bool) -> list[dict[str, str]]:
    """What the service's models would refuse (its messages are French, codes stable)."""
    errors = []
    for name in names:
        value = fields.get(name)
        if name == "email_copy":
            if multipart:
                if str(value or "false").lower() not in ("true", "false"):
                    errors.append({"field": name, "code": "bool_parsing", "message": "Input should be a valid boolean"})
            elif not isinstance(value, bool):
                errors.append({"field": name, "code": "bool_type", "message": "Input should be a valid boolean"})
            continue
        if value is None:
            errors.append({"field": name, "code": "missing", "message": "Field required"})
        elif not str(value).strip():
            errors.append({"field": name, "code": "required", "message": "Ce champ est obligatoire."})
        elif name == "subject" and len(value) > 150:
            errors.append(
                {"field": name, "code": "too_long", "message": "Ce texte ne doit pas dépasser 150 caractères."}
            )
    return errors


def check_file(file: dict[str, Any] | None) -> web.Response | None:
    if file is None:
        return None
    if len(file["content"]) > MAX_BYTES:
        error = {
            "field": "attachment",
            "code": "attachment_too_large",
            "message": "La pièce jointe ne doit pas dépasser 5 Mo.",
        }
        return problem(413, "attachment_too_large", "Le contenu envoyé est trop volumineux.", errors=[error])
    if not any(file["content"].startswith(magic) for magic, _ in SIGNATURES):
        error = {
            "field": "attachment",
            "code": "unsupported_attachment",
            "message": "La pièce jointe doit être un fichier PDF, JPEG ou PNG.",
        }
        return problem(415, "unsupported_attachment", "Ce format n'est pas accepté.", errors=[error])
    return None


def fingerprint(request: web.Request) -> str:
    recorded = request[RECORDED]
    content = (recorded["file"] or {}).get("content", b"")
    return json.dumps([request.path, recorded["fields"], content.hex()], sort_keys=True)


def replay(request: web.Request) -> tuple[tuple[str, str] | None, web.Response | None]:
    """``(slot to remember the answer in, None)`` or ``(None, the answer to give now)``."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None, None
    slot = (str(parent(request).user_id), key)
    stored = state(request).idempotency.get(slot)
    if stored is None:
        return slot, None
    if stored[0] != fingerprint(request):
        error = {
            "field": "Idempotency-Key",
            "code": "idempotency_key_reused",
            "message": "Cette clé d'idempotence a déjà servi pour une autre demande.",
        }
        return None, problem(422, "idempotency_key_reused", INVALID, errors=[error])
    return None, web.json_response(stored[1], status=201)


def remember_answer(request: web.Request, slot: tuple[str, str] | None, doc: dict[str, Any]) -> None:
    if slot is not None:
        state(request).idempotency[slot] = (fingerprint(request), doc)


def store_file(st: State, message: Message, thread_id: str, file: dict[str, Any] | None) -> None:
    if file is not None:
        content_type = next(ct for magic, ct in SIGNATURES if file["content"].startswith(magic))
        st.attach(message, thread_id, file["filename"] or "piece-jointe", file["content"], content_type)


async def themes(request: web.Request) -> web.Response:
    # Public, as in messaging: no identity needed.
    return web.json_response({"themes": state(request).themes})


async def start_thread(request: web.Request) -> web.Response:
    st = state(request)
    who = parent(request)
    recorded = request[RECORDED]
    multipart = recorded["content_type"] == "multipart/form-data"
    errors = validate(recorded["fields"], ("theme_id", "subject", "body", "email_copy"), multipart=multipart)
    if errors:
        return problem(422, "validation_error", INVALID, errors=errors)
    if (refused := check_file(recorded["file"])) is not None:
        return refused
    slot, answer = replay(request)
    if answer is not None:
        return answer
    fields = recorded["fields"]
    if not any(t["id"] == fields["theme_id"] for t in st.themes):
        error = {
            "field": "theme_id",
            "code": "unknown_theme",
            "message": "Ce thème n'existe pas ou n'est plus proposé.",
        }
        return problem(422, "unknown_theme", INVALID, errors=[error])
    thread = st.add_thread(str(who.user_id), fields["subject"].strip(), fields["theme_id"], fields["body"].strip())
    thread.messages[0].email_copy = copy_state(fields)
    store_file(st, thread.messages[0], thread.id, recorded["file"])
    doc = thread_doc(st, thread)
    remember_answer(request, slot, doc)
    return web.json_response(doc, status=201)


async def list_threads(request: web.Request) -> web.Response:
    st = state(request)
    user_id = str(parent(request).user_id)
    box = request.query.get("box", "inbox")
    if box not in ("inbox", "sent"):
        return problem(
            422, "validation_error", INVALID, errors=[{"field": "box", "code": "literal_error", "message": "x"}]
        )
    limit = int(request.query.get("limit", "20"))
    cursor = request.query.get("cursor")
    offset = int(cursor[1:]) if cursor and cursor.startswith("o") else 0
    mine = [t for t in st.threads.values() if t.user_id == user_id]
    if box == "inbox":
        mine = [t for t in mine if any(m.author == "staff" for m in t.messages)]
    deleted_count = sum(1 for t in mine if t.hidden)
    mine = [t for t in mine if not t.hidden]
    mine.sort(key=lambda t: t.last_message_at, reverse=True)
    page = mine[offset : offset + limit]
    summaries = [
        {
            "id": t.id,
            "theme_id": t.theme_id,
            "theme_label": st.theme(t.theme_id)["label"],
            "subject": t.subject,
            "state": t.state,
            "created_at": iso(t.messages[0].created_at),
            "last_message_at": iso(t.last_message_at),
            "messages_count": len(t.messages),
            "has_reply": any(m.author == "staff" for m in t.messages),
            "unread_replies": sum(1 for m in t.messages if m.author == "staff" and m.read_at is None),
        }
        for t in page
    ]
    next_cursor = f"o{offset + limit}" if offset + limit < len(mine) else None
    return web.json_response({"threads": summaries, "next_cursor": next_cursor, "deleted_count": deleted_count})


async def get_thread(request: web.Request) -> web.Response:
    thread = own_thread(request)
    doc = thread_doc(state(request), thread)
    for m in thread.messages:
        if m.author == "staff" and m.read_at is None:
            m.read_at = state(request).tick()
    return web.json_response(doc)


async def add_message(request: web.Request) -> web.Response:
    st = state(request)
    thread = own_thread(request)
    recorded = request[RECORDED]
    multipart = recorded["content_type"] == "multipart/form-data"
    errors = validate(recorded["fields"], ("body", "email_copy"), multipart=multipart)
    if errors:
        return problem(422, "validation_error", INVALID, errors=errors)
    if (refused := check_file(recorded["file"])) is not None:
        return refused
    slot, answer = replay(request)
    if answer is not None:
        return answer
    if thread.state == "closed":
        return problem(409, "thread_closed", "Cette conversation est close. Merci d'envoyer un nouveau message.")
    fields = recorded["fields"]
    message = Message(str(uuid.uuid4()), "parent", fields["body"].strip(), st.tick(), email_copy=copy_state(fields))
    thread.messages.append(message)
    store_file(st, message, thread.id, recorded["file"])
    doc = thread_doc(st, thread)
    remember_answer(request, slot, doc)
    return web.json_response(doc, status=201)


async def delete_thread(request: web.Request) -> web.Response:
    thread = state(request).threads.get(request.match_info["id"])
    if thread is None or thread.user_id != str(parent(request).user_id):
        return problem(404, "not_found", "Ce message n'existe pas.")
    thread.hidden = True
    return web.Response(status=204)


async def download(request: web.Request) -> web.Response:
    thread = own_thread(request)
    for message in thread.messages:
        for a in message.attachments:
            if a["id"] == request.match_info["attachment_id"]:
                return web.Response(
                    body=state(request).files[a["id"]],
                    content_type=a["content_type"],
                    headers={
                        "Content-Disposition": f"attachment; filename=\"x\"; filename*=UTF-8''{quote(a['filename'])}",
                        "X-Content-Type-Options": "nosniff",
                        "Cache-Control": "private, no-store",
                    },
                )
    return problem(404, "not_found", "Ce message n'existe pas.")


async def notifications(request: web.Request) -> web.Response:
    st = state(request)
    user_id = str(parent(request).user_id)
    if st.notification_delay:
        await asyncio.sleep(st.notification_delay)
    count = sum(
        1
        for t in st.threads.values()
        if t.user_id == user_id and not t.hidden
        for m in t.messages
        if m.author == "staff" and m.read_at is None
    )
    return web.json_response({"unread_replies": count})


def fake_messaging() -> web.Application:
    app = checked(web.Application(middlewares=[remember, record], client_max_size=20 * 1024 * 1024), "messaging")
    app[SERVICE_NAME] = "messaging"
    app[SEEN] = []
    app[STATE] = State()
    r = app.router
    r.add_get("/health", health)
    misbehaving_routes(app, "messaging")
    r.add_get("/api/messaging/themes", themes)
    r.add_post("/api/messaging/threads", start_thread)
    r.add_get("/api/messaging/threads", list_threads)
    r.add_get("/api/messaging/threads/{id}", get_thread)
    r.add_post("/api/messaging/threads/{id}/messages", add_message)
    r.add_delete("/api/messaging/threads/{id}", delete_thread)
    r.add_get("/api/messaging/threads/{id}/attachments/{attachment_id}", download)
    r.add_get("/api/messaging/notifications", notifications)
    r.add_route("*", "/{tail:.*}", echo)
    return app
