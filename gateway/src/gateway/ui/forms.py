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


@dataclass
class Form:
    """A form's values as typed and its errors, per field and for the whole form."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    summary_title: str = DEFAULT_SUMMARY_TITLE

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.general)

    @property
    def summary(self) -> list[tuple[str | None, str]]:
        return [(None, m) for m in self.general] + list(self.errors.items())

    @property
    def summary_items(self) -> list[tuple[str | None, str]]:
        """The summary's list: a general sentence already shown as its title is not repeated."""
        return [(name, m) for name, m in self.summary if name is not None or m != self.summary_title]

    def value(self, name: str) -> Any:
        return self.values.get(name, "")

    def apply_problem(
        self, problem: UpstreamProblem, fields: Iterable[str], rename: Callable[[str], str] | None = None
    ) -> None:
        """A service's refusal: each error beside its field, the title on the summary."""
        known = set(fields)
        self.summary_title = problem.title
        placed = False
        for error in problem.errors:
            raw = str(error.get("field") or "")
            name = rename(raw) if rename else raw
            message = french_message(error, name)
            if name in known:
                self.error(name, message)
            elif message not in self.general:
                self.general.append(message)
            placed = True
        if not placed:
            self.summary_title = DEFAULT_SUMMARY_TITLE if problem.status == 422 else problem.title
            if problem.status != 422 or problem.title != DEFAULT_SUMMARY_TITLE:
                self.general.append(problem.title)


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
