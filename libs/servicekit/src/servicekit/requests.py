"""Reading a request, once for every service: JSON, forms, the query string, path ids.

Every refusal is a problem document with a French title: a content type that is not
accepted → 415; broken JSON or a broken form → 400; a value that breaks the model → 422
with one French message per field. JSON is validated strictly (no "5" for 5, no object
where a list is expected); forms are text, so they are validated in lax mode, with
checkbox words turned into booleans first.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel, ValidationError

from .errors import DomainError, NotFound, TooLarge
from .identity import CLIENT_KEY, IDENTITY_KEY
from .problems import Problem, validation_problem

M = TypeVar("M", bound=BaseModel)

JSON_TYPES = ("application/json", "application/merge-patch+json")
MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"
FORM_TEXT_MAX_BYTES = 128 * 1024
FORM_MAX_PARTS = 12
FORM_OVERHEAD_BYTES = 256 * 1024
CHUNK = 64 * 1024
TRUE_WORDS = frozenset({"true", "on", "1", "yes", "oui"})
FALSE_WORDS = frozenset({"false", "off", "0", "no", "non", ""})

NOT_JSON = "Ce format n'est pas accepté : envoyez du JSON (application/json)."
NOT_JSON_OR_FORM = "Ce format n'est pas accepté : envoyez du JSON ou un formulaire."
BAD_JSON = "Le contenu envoyé n'est pas du JSON valide."
BAD_FORM = "Le formulaire envoyé est mal formé."


@dataclass(frozen=True)
class Upload:
    """A file as received in a form, not yet checked (its type is checked from the content)."""

    filename: str | None
    content: bytes


def validate(model: type[M], data, *, strict: bool = False, json_text: bytes | None = None) -> M:
    """``model`` from data (or raw JSON text); a 422 problem in French otherwise."""
    try:
        if json_text is not None:
            return model.model_validate_json(json_text, strict=strict)
        return model.model_validate(data, strict=strict)
    except ValidationError as exc:
        raise validation_problem(exc) from None


async def read_json(request: web.Request, model: type[M], *, strict: bool = True) -> M:
    """A JSON object validated (strictly by default): 415, 400, or 422 per field."""
    if request.content_type not in JSON_TYPES:
        raise Problem(415, "unsupported_media_type", NOT_JSON)
    raw = await request.read()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly nested input
        raise Problem(400, "invalid_json", BAD_JSON) from None
    if not isinstance(data, dict):
        raise Problem(422, errors=[{"field": None, "code": "object_type", "message": "Un objet JSON est attendu."}])
    return validate(model, None, strict=strict, json_text=raw)


def read_query(request: web.Request, model: type[M]) -> M:
    """The query string as ``model`` (lax: every value arrives as text)."""
    return validate(model, dict(request.query))


async def read_form(
    request: web.Request,
    model: type[M],
    *,
    file_field: str | None = None,
    max_file_bytes: int = 0,
    too_large: Callable[[], DomainError] | None = None,
) -> tuple[M, Upload | None]:
    """A form (multipart/form-data or urlencoded) as ``model``, with its optional file.

    ``too_large()`` makes the error for a file over ``max_file_bytes`` (by default a French
    413 naming ``file_field``).
    """
    if request.content_type == MULTIPART:
        too_large = too_large or (lambda: _file_too_large(max_file_bytes, file_field))
        fields, upload = await _read_multipart(
            request, file_field=file_field, max_file_bytes=max_file_bytes, too_large=too_large
        )
        return validate(model, form_values(fields, model)), upload
    if request.content_type == URLENCODED:
        try:
            posted = await request.post()
        except (ValueError, UnicodeDecodeError):
            raise _bad_form() from None
        fields = {k: v for k, v in posted.items() if isinstance(v, str)}
        return validate(model, form_values(fields, model)), None
    raise Problem(415, "unsupported_media_type", NOT_JSON_OR_FORM)


async def read_command(
    request: web.Request,
    model: type[M],
    *,
    file_field: str | None = None,
    max_file_bytes: int = 0,
    too_large: Callable[[], DomainError] | None = None,
) -> tuple[M, Upload | None]:
    """JSON (strict) or a form: what a page's ``<form>`` and a script may both send."""
    if request.content_type in JSON_TYPES:
        return await read_json(request, model), None
    return await read_form(request, model, file_field=file_field, max_file_bytes=max_file_bytes, too_large=too_large)


def path_uuid(request: web.Request, name: str = "id") -> uuid.UUID:
    """A UUID from the path; anything else is a resource that does not exist (404)."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise NotFound() from None


def client_address(request: web.Request) -> str:
    """The caller's address as the gateway signed it, else the peer's.

    Only signed values count (the identity's ``client_ip`` claim, then ``X-Portail-Client``,
    both verified by ``identity_middleware``): an ``X-Forwarded-For`` is plain text anyone
    reaching the service directly could write, and throttles count per address.
    """
    identity = request.get(IDENTITY_KEY)
    if identity is not None and getattr(identity, "client_ip", None):
        return identity.client_ip
    signed = request.get(CLIENT_KEY)
    if signed:
        return signed
    return request.remote or "unknown"


def form_values(fields: dict[str, str], model: type[BaseModel]) -> dict[str, object]:
    """Form text → model input: checkboxes become booleans, unknown fields are dropped."""
    values: dict[str, object] = {}
    for name, info in model.model_fields.items():
        if name not in fields:
            continue
        value: object = fields[name]
        if info.annotation is bool:
            word = fields[name].strip().lower()
            if word in TRUE_WORDS:
                value = True
            elif word in FALSE_WORDS:
                value = False
        values[name] = value
    return values


async def _read_multipart(
    request: web.Request, *, file_field: str | None, max_file_bytes: int, too_large: Callable[[], DomainError]
) -> tuple[dict[str, str], Upload | None]:
    """Stream a multipart form: text fields bounded, the file counted as it arrives.

    Nothing is read whole before its size is known to be acceptable, so an oversized
    upload costs its first ``max_file_bytes`` at most.
    """
    if request.content_length is not None and request.content_length > max_file_bytes + FORM_OVERHEAD_BYTES:
        raise too_large()
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
            if part.name in fields or (part.name == file_field and upload is not None):
                raise _bad_form()
            if file_field is not None and part.name == file_field:
                content = await _read_part(part, max_file_bytes, too_large)
                # A browser sends an empty, nameless part for a file input left empty; an
                # empty file with a name is kept, for the caller's type check to refuse.
                if content or part.filename:
                    upload = Upload(part.filename, content)
                continue
            raw = await _read_part(part, FORM_TEXT_MAX_BYTES, functools.partial(_field_too_long, part.name))
            fields[part.name] = raw.decode(part.get_charset(default="utf-8"))
        raise _bad_form()
    except (ValueError, AssertionError, LookupError, aiohttp.ClientPayloadError, HttpProcessingError):
        # HttpProcessingError: a part's headers aiohttp cannot parse (InvalidHeader), whose
        # message quotes the body — a 400 for the sender, nothing of it in the logs.
        raise _bad_form() from None


async def _read_part(part: aiohttp.BodyPartReader, limit: int, too_large: Callable[[], DomainError]) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)
    return part.decode(b"".join(chunks))


def _field_too_long(name: str) -> TooLarge:
    return TooLarge("field_too_large", "Un champ du formulaire est trop long.", field=name)


def _file_too_large(max_bytes: int, file_field: str | None) -> TooLarge:
    message = f"Le fichier ne doit pas dépasser {max(1, max_bytes // (1024 * 1024))} Mo."
    return TooLarge("file_too_large", message, field=file_field, message=message)


def _bad_form() -> Problem:
    return Problem(400, "invalid_form", BAD_FORM)
