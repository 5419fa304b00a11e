"""Errors as RFC 9457 problem documents, with a stable ``type`` and a French ``title``."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic_core import PydanticKnownError

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://portail-famille.fr/problems/"

# French titles fit to show a parent, for the statuses aiohttp raises by itself.
STATUS_TITLES = {
    400: ("bad_request", "La demande est mal formée."),
    401: ("unauthenticated", "Vous devez être connecté pour accéder à cette page."),
    403: ("forbidden", "Vous n'avez pas les droits nécessaires pour cette action."),
    404: ("not_found", "Cette page n'existe pas."),
    405: ("method_not_allowed", "Cette action n'est pas permise ici."),
    409: ("conflict", "Cette action entre en conflit avec l'état actuel."),
    413: ("too_large", "Le contenu envoyé est trop volumineux."),
    415: ("unsupported_media_type", "Ce format n'est pas accepté."),
    422: ("validation_error", "Certaines informations saisies ne sont pas valides."),
    429: ("too_many_requests", "Trop de tentatives. Merci de réessayer dans quelques minutes."),
    500: ("internal_error", "Une erreur inattendue est survenue. Merci de réessayer plus tard."),
    502: ("bad_gateway", "Le service est momentanément indisponible. Merci de réessayer plus tard."),
    503: ("unavailable", "Le service est momentanément indisponible. Merci de réessayer plus tard."),
    504: ("gateway_timeout", "Le service met trop de temps à répondre. Merci de réessayer plus tard."),
}


class Problem(Exception):
    def __init__(
        self,
        status: int,
        type_: str | None = None,
        title: str | None = None,
        *,
        detail: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        default_type, default_title = STATUS_TITLES.get(status, ("error", "Erreur"))
        self.status = status
        self.type = type_ or default_type
        self.title = title or default_title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra
        super().__init__(f"{status} {self.type}")

    def to_dict(self, instance: str | None = None, request_id: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": TYPE_BASE + self.type, "title": self.title, "status": self.status}
        if self.detail:
            doc["detail"] = self.detail
        if instance:
            doc["instance"] = instance
        if self.errors:
            doc["errors"] = self.errors
        if request_id:
            doc["request_id"] = request_id
        doc.update(self.extra)
        return doc


def problem_response(problem: Problem, *, instance: str | None = None, request_id: str | None = None) -> web.Response:
    return web.Response(
        status=problem.status,
        body=json.dumps(problem.to_dict(instance, request_id), ensure_ascii=False).encode(),
        content_type=PROBLEM_CONTENT_TYPE,
        charset="utf-8",
        headers=problem.headers,
    )


# Pydantic's own messages are English; parents read French.
_FRENCH = {
    "missing": "Ce champ est obligatoire.",
    "string_type": "Une chaîne de caractères est attendue.",
    "string_too_long": "Ce texte est trop long ({max_length} caractères au maximum).",
    "string_too_short": "Ce texte est trop court ({min_length} caractères au minimum).",
    "too_long": "Cette liste est trop longue ({max_length} éléments au maximum).",
    "too_short": "Cette liste doit contenir au moins {min_length} élément(s).",
    "bool_type": "Vrai ou faux (true/false) est attendu.",
    "bool_parsing": "Vrai ou faux (true/false) est attendu.",
    "date_type": "Date invalide (format AAAA-MM-JJ).",
    "date_parsing": "Date invalide (format AAAA-MM-JJ).",
    "date_from_datetime_parsing": "Date invalide (format AAAA-MM-JJ).",
    "date_from_datetime_inexact": "Date invalide (format AAAA-MM-JJ).",
    "uuid_type": "Identifiant invalide.",
    "uuid_parsing": "Identifiant invalide.",
    "extra_forbidden": "Ce champ n'est pas accepté.",
    "model_type": "Un objet JSON est attendu.",
    "model_attributes_type": "Un objet JSON est attendu.",
    "dict_type": "Un objet JSON est attendu.",
    "list_type": "Une liste est attendue.",
    "literal_error": "Valeur non reconnue.",
    "int_type": "Un nombre entier est attendu.",
    "int_parsing": "Un nombre entier est attendu.",
    "string_pattern_mismatch": "Le format n'est pas valide.",
}


def validation_problem(exc) -> Problem:
    """A Pydantic ValidationError as a 422 with one French entry per field.

    Pydantic's own errors get the French sentence above; an error a model raised itself
    (``PydanticCustomError`` with a French message, even under a code Pydantic also uses,
    like ``too_long``) keeps its message.
    """
    errors = []
    for err in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in err.get("loc", ()))
        kind = err.get("type", "value_error")
        template = _FRENCH.get(kind) if _is_pydantic_own(err) else None
        try:
            message = template.format(**(err.get("ctx") or {})) if template else err.get("msg")
        except (KeyError, IndexError):
            message = err.get("msg")
        errors.append({"field": field or None, "code": kind, "message": message})
    return Problem(422, errors=errors)


def _is_pydantic_own(err: dict[str, Any]) -> bool:
    """True when the message is the one Pydantic writes for this kind and context."""
    try:
        return PydanticKnownError(err["type"], err.get("ctx")).message() == err.get("msg")
    except (KeyError, TypeError, ValueError):
        return False
