"""The HTTP shell of messaging: app keys, route-table constants, domain errors as problems,
request parsing, Idempotency-Key reading, attachment downloads. Handlers (api.py,
admin_api.py) stay thin: parse → one use case → response.

Each route is declared once, as a servicekit.openapi.Route in a table next to its handlers:
the table registers the route and feeds the OpenAPI document, so the two cannot drift
apart. The constants below are what messaging's tables share.

To be replaced by servicekit's shared plumbing (issue 7), and kept here only until then:
``path_id`` (typed path ids), ``read_json`` / ``read_command`` / ``read_form`` (strict JSON
and form reading), ``idempotency_key`` (Idempotency-Key header).
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import aiohttp
import structlog
from aiohttp import web
from pydantic import BaseModel, ValidationError
from servicekit.identity import Identity, require_identity
from servicekit.openapi import FileField, idempotency_key_header
from servicekit.problems import Problem
from servicekit.problems import validation_problem as servicekit_validation_problem
from servicekit.service import DB, SETTINGS

from .domain import errors
from .mail.compose import MailComposer
from .service import Messaging, Upload
from .service.idempotency import IdempotencyKey, request_fingerprint

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

COMPOSER = web.AppKey("mail_composer", MailComposer)

JSON = "application/json"
MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"
FILE_FIELD = "attachment"
FORM_TEXT_MAX_BYTES = 128 * 1024
FORM_MAX_PARTS = 12
FORM_OVERHEAD_BYTES = 256 * 1024
CHUNK = 64 * 1024
# Codes of the domain's text rules (domain/text.py), whose messages are French already.
TEXT_RULE_CODES = frozenset({"forbidden_characters", "required", "too_long"})
TRUE_WORDS = frozenset({"true", "on", "1", "yes", "oui"})
FALSE_WORDS = frozenset({"false", "off", "0", "no", "non", ""})


# What the route tables document: the file types an attachment may have (checked from the
# content, domain/attachments.py), the optional file of a form, the Idempotency-Key header.
ATTACHMENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
ATTACHMENT = FileField(
    FILE_FIELD, "optional PDF, JPEG or PNG (type checked from the content), size-limited", ATTACHMENT_TYPES
)
IDEMPOTENCY = idempotency_key_header(max_length=255)


def messaging_of_app(app: web.Application) -> Messaging:
    """The use cases' dependencies; the pool exists once the app has started."""
    return Messaging(pool=app[DB], mail=app[COMPOSER], attachment_max_bytes=app[SETTINGS].attachment_max_bytes)


def messaging(request: web.Request) -> Messaging:
    return messaging_of_app(request.app)


def caller(request: web.Request) -> Identity:
    identity = require_identity(request)
    structlog.contextvars.bind_contextvars(user_id=str(identity.user_id))
    return identity


# --- domain errors → problem documents ----------------------------------------------------

_STATUS = (
    (errors.AttachmentTooLarge, 413),
    (errors.UnsupportedAttachment, 415),
    (errors.InvalidInput, 422),
    (errors.IdempotencyKeyReused, 422),
    (errors.NotFound, 404),
    (errors.Forbidden, 403),
    (errors.Conflict, 409),
)


def problem_for(exc: errors.DomainError) -> Problem:
    status = next((s for cls, s in _STATUS if isinstance(exc, cls)), 400)
    if status in (413, 415, 422):
        return Problem(status, exc.code, errors=[{"field": exc.field, "code": exc.code, "message": exc.message}])
    return Problem(status, exc.code, exc.message)


def with_domain_errors(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except errors.DomainError as exc:
            raise problem_for(exc) from None

    return wrapped


# --- request parsing ---------------------------------------------------------------------


def path_id(request: web.Request, name: str = "id") -> uuid.UUID:
    """A UUID from the path; anything else is a resource that does not exist."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise errors.NotFound() from None


def validation_problem(exc: ValidationError) -> Problem:
    """422 with one French entry per field, named as the client sent it.

    The French wording of Pydantic's own errors comes from servicekit; the messages of
    messaging's own text rules (whose codes, like ``too_long``, may share a name with one of
    Pydantic's) are kept as they are.
    """
    translated = servicekit_validation_problem(exc).errors or []
    found = []
    for err, french in zip(exc.errors(include_url=False, include_input=False), translated, strict=True):
        field = ".".join(str(p) for p in err.get("loc", ())) or None
        code = err.get("type")
        message = err.get("msg") if code in TEXT_RULE_CODES else french["message"]
        found.append({"field": field, "code": code, "message": message})
    return Problem(422, errors=found)


def validate(model: type[BaseModel], data, *, strict: bool = False, json_text: bytes | None = None):
    try:
        if json_text is not None:
            return model.model_validate_json(json_text, strict=strict)
        return model.model_validate(data, strict=strict)
    except ValidationError as exc:
        raise validation_problem(exc) from None


def read_query(request: web.Request, model: type[BaseModel]):
    return validate(model, dict(request.query))


async def read_json(request: web.Request, model: type[BaseModel]):
    """A JSON object validated strictly: 400 for broken JSON, 422 per field otherwise."""
    if request.content_type != JSON:
        raise Problem(415, detail="Send application/json.")
    raw = await request.read()
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested input
        raise Problem(400, "invalid_json", "Le contenu envoyé n'est pas du JSON valide.") from None
    if not isinstance(data, dict):
        raise Problem(422, errors=[{"field": None, "code": "object_type", "message": "Un objet JSON est attendu."}])
    return validate(model, None, strict=True, json_text=raw)


async def read_command(request: web.Request, model: type[BaseModel], *, max_file_bytes: int):
    """JSON, or a form (multipart/form-data with an optional ``attachment``, or urlencoded)."""
    if request.content_type == MULTIPART:
        fields, upload = await read_form(request, max_file_bytes=max_file_bytes)
        return validate(model, _form_values(fields, model)), upload
    if request.content_type == URLENCODED:
        try:
            posted = await request.post()
        except (ValueError, UnicodeDecodeError):
            raise _bad_form() from None
        fields = {k: v for k, v in posted.items() if isinstance(v, str)}
        return validate(model, _form_values(fields, model)), None
    if request.content_type == JSON:
        return await read_json(request, model), None
    raise Problem(415, detail="Send application/json or multipart/form-data.")


def _form_values(fields: dict[str, str], model: type[BaseModel]) -> dict[str, object]:
    """Form text → model input: checkboxes become booleans, unknown fields are dropped."""
    values: dict[str, object] = {}
    for name, info in model.model_fields.items():
        if name not in fields:
            continue
        value = fields[name]
        if info.annotation is bool:
            word = value.strip().lower()
            if word in TRUE_WORDS:
                value = True
            elif word in FALSE_WORDS:
                value = False
        values[name] = value
    return values


async def read_form(request: web.Request, *, max_file_bytes: int) -> tuple[dict[str, str], Upload | None]:
    """Stream a multipart form: text fields bounded, the file counted as it arrives.

    Nothing is read whole before its size is known to be acceptable, so an oversized
    upload costs its first ``max_file_bytes`` at most.
    """
    if request.content_length is not None and request.content_length > max_file_bytes + FORM_OVERHEAD_BYTES:
        raise errors.AttachmentTooLarge(_too_large_message(max_file_bytes), field=FILE_FIELD)
    fields: dict[str, str] = {}
    upload: Upload | None = None
    try:
        reader = await request.multipart()
        for _ in range(FORM_MAX_PARTS + 1):
            part = await reader.next()
            if part is None:
                return fields, upload
            if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
                raise _bad_form()
            if part.name in fields or (part.name == FILE_FIELD and upload is not None):
                raise _bad_form()
            if part.name == FILE_FIELD:
                content = await _read_part(part, max_file_bytes, too_large=_too_large_message(max_file_bytes))
                # A browser sends an empty, nameless part for a file input left empty; an
                # empty file with a name is refused like any file that is not a PDF/JPEG/PNG.
                if content or part.filename:
                    upload = Upload(part.filename, content)
                continue
            raw = await _read_part(part, FORM_TEXT_MAX_BYTES, too_large="Un champ du formulaire est trop long.")
            fields[part.name] = raw.decode(part.get_charset(default="utf-8"))
        raise _bad_form()
    except (ValueError, AssertionError, LookupError, aiohttp.ClientPayloadError):
        raise _bad_form() from None


async def _read_part(part: aiohttp.BodyPartReader, limit: int, *, too_large: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > limit:
            raise errors.AttachmentTooLarge(too_large, field=FILE_FIELD if part.name == FILE_FIELD else part.name)
        chunks.append(chunk)
    return part.decode(b"".join(chunks))


def _bad_form() -> Problem:
    return Problem(400, "invalid_form", "Le formulaire envoyé est mal formé.")


def _too_large_message(max_bytes: int) -> str:
    return f"La pièce jointe ne doit pas dépasser {max(1, max_bytes // (1024 * 1024))} Mo."


def idempotency_key(request: web.Request, *parts: object) -> IdempotencyKey | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise Problem(400, "invalid_idempotency_key", "L'en-tête Idempotency-Key n'est pas valide.")
    return IdempotencyKey(key, request_fingerprint(request.method, request.path, *parts))


def fingerprint_of(cmd: BaseModel, upload: Upload | None) -> tuple:
    digest = hashlib.sha256(upload.content).hexdigest() if upload else None
    return (cmd.model_dump(mode="json"), upload.filename if upload else None, digest)


def json_answer(status: int, body: dict) -> web.Response:
    return web.json_response(body, status=status)


def attachment_response(row) -> web.Response:
    """The stored bytes as a download: never rendered inline, never sniffed, never cached."""
    filename = row["filename"]
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in filename)
    return web.Response(
        body=row["content"],
        content_type=row["content_type"],
        headers={
            "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )
