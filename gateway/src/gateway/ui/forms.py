"""What every form page shares: values and errors, French messages, redirects, sign-in.

Forms work without JavaScript: a POST either redirects (303, POST-redirect-GET) or renders
the same form again with the values typed (never a password), an error summary at the top
linking to the fields, and each error beside its field (see ``templates/macros/forms.html``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web
from yarl import URL

from ..caller import Caller, current_caller
from ..clients.base import UpstreamProblem
from ..pages import render
from ..settings import GatewaySettings

DEFAULT_SUMMARY_TITLE = "Certaines informations saisies ne sont pas valides."

# The policy of accounts (docs/accounts.md): length, not composition; common passwords,
# the username and the e-mail address are refused.
PASSWORD_RULES = (
    "Au moins 12 caractères. Une phrase de plusieurs mots est idéale ; évitez les mots de passe "
    "courants et votre nom d'utilisateur."
)

# Pydantic's error codes (English messages) in words a parent understands.
CODE_MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "string_too_short": "Ce champ est trop court.",
    "string_too_long": "Ce champ est trop long.",
    "too_short": "Ce champ est trop court.",
    "too_long": "Ce champ est trop long.",
    "string_type": "Cette valeur n'est pas valide.",
    "string_pattern_mismatch": "Le format de ce champ n'est pas valide.",
    "bool_parsing": "Cette valeur n'est pas valide.",
    "bool_type": "Cette valeur n'est pas valide.",
    "int_parsing": "Saisissez un nombre.",
    "int_type": "Saisissez un nombre.",
    "date_parsing": "Saisissez une date valide.",
    "date_from_datetime_parsing": "Saisissez une date valide.",
    "literal_error": "Cette valeur n'est pas permise.",
    "enum": "Cette valeur n'est pas permise.",
}

# Where a field's own sentence says more than the generic one.
FIELD_MESSAGES = {
    ("password", "missing"): "Choisissez un mot de passe.",
    ("password", "string_too_short"): f"Le mot de passe est trop court. {PASSWORD_RULES}",
    ("new_password", "string_too_short"): f"Le mot de passe est trop court. {PASSWORD_RULES}",
    ("accepted", "missing"): (
        "Vous devez accepter les conditions générales d'utilisation du site pour continuer votre inscription."
    ),
}

# When a service's sentence for a field is not French, what to say instead.
FIELD_FALLBACKS = {
    "email": "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.",
    "new_email": "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.",
    "password": f"Ce mot de passe ne convient pas. {PASSWORD_RULES}",
    "new_password": f"Ce mot de passe ne convient pas. {PASSWORD_RULES}",
    "phone_mobile": "Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78.",
    "phone_home": "Saisissez un numéro de téléphone valide, par exemple 01 23 45 67 89.",
    "phone_work": "Saisissez un numéro de téléphone valide, par exemple 01 23 45 67 89.",
}
GENERIC_MESSAGE = "Cette valeur n'est pas valide."

# The shape of an id in a route ("{thread_id:" + UUID_PATTERN + "}"): anything else is a 404.
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

_FRENCH = re.compile(
    r"[àâçéèêëîïôûùüÿœ]|\b(le|la|les|un|une|des|du|de|est|sont|doit|votre|vos|ce|cette|pas|ou|et)\b",
    re.IGNORECASE,
)


def looks_french(text: str) -> bool:
    return bool(_FRENCH.search(text))


def french_message(error: Mapping[str, Any], field_name: str | None) -> str:
    """One service error (``{field, code, message}``) as a French sentence."""
    code = str(error.get("code") or "")
    message = str(error.get("message") or "").strip()
    leaf = (field_name or "").rsplit("-", 1)[-1]
    if (leaf, code) in FIELD_MESSAGES:
        return FIELD_MESSAGES[(leaf, code)]
    if code in CODE_MESSAGES:
        return CODE_MESSAGES[code]
    # Pydantic prefixes the text of a validator's ValueError; services write those in French.
    message = message.removeprefix("Value error, ")
    if message and looks_french(message):
        return message if message.endswith((".", "!", "?")) else message + "."
    return FIELD_FALLBACKS.get(leaf, GENERIC_MESSAGE)


@dataclass(frozen=True)
class SummaryItem:
    """One line of the error summary: its sentence and the field it leads to (if any)."""

    message: str
    target: str | None = None
    id: str | None = None


@dataclass
class Form:
    """A form's values as typed and its errors.

    Every error is said once in the summary at the top of the page (which takes the
    focus), and a field's own error a second time under that field — never more:

    - ``errors``: a field's own sentence (under the field, and in the summary);
    - ``together``: a sentence about several fields at once (a wrong dossier pair, a
      wrong username/password pair): in the summary only, leading to the first field;
      the fields are marked invalid and point to it (``aria-describedby``);
    - ``general``: a sentence about the whole form, in the summary only.
    """

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    summary_title: str = DEFAULT_SUMMARY_TITLE
    together: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def error_together(self, names: Iterable[str], message: str) -> None:
        """A sentence about several fields at once (said once, leading to the first)."""
        names = tuple(names)
        if names and all(m != message for m, _ in self.together):
            self.together.append((message, names))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.general or self.together)

    @property
    def summary_items(self) -> list[tuple[str | None, str]]:
        """``(field or None, sentence)`` of each line of the summary."""
        return [(item.target, item.message) for item in self.summary_entries]

    @property
    def summary_entries(self) -> list[SummaryItem]:
        """The summary's list, each sentence once; a general sentence already shown as the
        heading is not repeated."""
        items: list[SummaryItem] = []
        seen: set[str] = set()
        for message in self.general:
            if message != self.summary_title and message not in seen:
                items.append(SummaryItem(message))
                seen.add(message)
        for index, (message, names) in enumerate(self.together):
            if message not in seen:
                items.append(SummaryItem(message, names[0], f"erreur-{index + 1}"))
                seen.add(message)
        for name, message in self.errors.items():
            items.append(SummaryItem(message, name))
        return items

    @property
    def summary_heading(self) -> str:
        """The summary's heading: the title, unless it is one of the sentences listed
        (then a general heading, so that nothing reads twice)."""
        if any(item.message == self.summary_title for item in self.summary_entries):
            return DEFAULT_SUMMARY_TITLE
        return self.summary_title

    def invalid(self, name: str) -> bool:
        return name in self.errors or any(name in names for _, names in self.together)

    def shared_error_ids(self, name: str) -> list[str]:
        """The ids of the summary's sentences about this field together with others."""
        return [f"erreur-{i + 1}" for i, (_, names) in enumerate(self.together) if name in names]

    def value(self, name: str) -> Any:
        return self.values.get(name, "")

    def apply_problem(
        self, problem: UpstreamProblem, fields: Iterable[str], rename: Callable[[str], str] | None = None
    ) -> None:
        """A service's refusal: each error beside its field, the title on the summary.

        One sentence given for several fields (« these references match no dossier ») is
        an error about them together: said once, in the summary."""
        known = set(fields)
        self.summary_title = problem.title
        placed = False
        by_message: dict[str, list[str]] = {}
        for error in problem.errors:
            raw = str(error.get("field") or "")
            name = rename(raw) if rename else raw
            message = french_message(error, name)
            if name in known:
                by_message.setdefault(message, []).append(name)
            elif message not in self.general:
                self.general.append(message)
            placed = True
        for message, names in by_message.items():
            if len(names) > 1:
                self.error_together(names, message)
            else:
                self.error(names[0], message)
        if not placed:
            self.summary_title = DEFAULT_SUMMARY_TITLE if problem.status == 422 else problem.title
            if problem.status != 422 or problem.title != DEFAULT_SUMMARY_TITLE:
                self.general.append(problem.title)


def retry_sentence(problem: UpstreamProblem) -> str:
    """« Merci de réessayer dans 2 minutes. » from a 429's Retry-After."""
    try:
        minutes = max(1, -(-int(problem.retry_after or "") // 60))
    except ValueError:
        return "Merci de réessayer dans quelques minutes."
    return f"Merci de réessayer dans {minutes} minute{'s' if minutes > 1 else ''}."


async def read_form(request: web.Request, names: Iterable[str]) -> dict[str, str]:
    """The named fields of a posted form, as stripped strings ("" when absent)."""
    posted = await request.post()
    values = {}
    for name in names:
        raw = posted.get(name, "")
        values[name] = raw.strip() if isinstance(raw, str) else ""
    return values


async def read_raw(request: web.Request, name: str) -> str:
    """A field kept exactly as typed (passwords: spaces are part of them)."""
    raw = (await request.post()).get(name, "")
    return raw if isinstance(raw, str) else ""


def made_here(value: str | None) -> bool:
    """Whether ``value`` looks like an Idempotency-Key a page of ours rendered."""
    return bool(value and _IDEMPOTENCY_KEY.match(value))


def idempotency_key(value: str | None) -> str:
    """The form's key if it looks like one we made, else a fresh one.

    A form that creates something carries a key made when the page was rendered: sent
    twice (a double click, a resent form), it creates one thing, not two.
    """
    return value if made_here(value) else secrets.token_urlsafe(18)


def redirect(location: str) -> web.Response:
    """303 See Other: after a POST, the browser GETs the next page (POST-redirect-GET)."""
    return web.Response(status=303, headers={"Location": location})


def safe_next(value: str | None, default: str = "/") -> str:
    """A ``next`` target only if it is a path on this site; never another site's URL."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(c in value for c in "\\\r\n\t") or not value.isprintable():
        return default
    try:
        url = URL(value)
    except ValueError:
        return default
    if url.is_absolute() or url.scheme or url.host:
        return default
    return value


def login_url(request: web.Request) -> str:
    target = request.path_qs if request.method == "GET" else request.path
    return "/connexion?next=" + quote(target, safe="/")


def require_caller(request: web.Request) -> Caller:
    """The signed-in parent, or a redirect to the login page that comes back here."""
    caller = current_caller(request)
    if caller is None:
        raise web.HTTPSeeOther(login_url(request))
    return caller


def without_dossier(request: web.Request, heading: str) -> web.Response | None:
    """For pages about the family's file (bookings, bills): an account not linked to a
    dossier yet is told how to link it, instead of getting the services' 404."""
    if require_caller(request).session.dossier_id is not None:
        return None
    return render(request, "no_dossier.html", {"heading": heading})


def login_required(handler):
    """Pages for signed-in parents only; the others go to the login page and come back.

    The mark ``requires_login`` lets the CSRF check pass an anonymous POST through to this
    redirect (a session that expired behind an open form), since it changes nothing.
    """

    async def wrapped(request: web.Request):
        require_caller(request)
        return await handler(request)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    wrapped.requires_login = True
    return wrapped


def sign(settings: GatewaySettings, purpose: bytes, data: dict[str, str]) -> str:
    """``data`` readable, but unforgeable without the secret (a cookie, a query parameter).

    ``purpose`` keeps a value signed for one use from being accepted for another.
    """
    payload = base64.urlsafe_b64encode(json.dumps(data, ensure_ascii=False).encode()).decode().rstrip("=")
    return f"{payload}.{_mac(settings, purpose, payload)}"


def unsign(settings: GatewaySettings, purpose: bytes, value: str | None) -> dict[str, str] | None:
    """What ``sign`` signed for ``purpose``, or ``None`` for anything else."""
    if not value or "." not in value:
        return None
    payload, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac.encode(), _mac(settings, purpose, payload).encode()):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _mac(settings: GatewaySettings, purpose: bytes, payload: str) -> str:
    return hmac.new(settings.session_secret.encode(), purpose + b"\0" + payload.encode(), hashlib.sha256).hexdigest()
