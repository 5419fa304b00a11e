"""The HTTP shell of billing: app keys, the use cases' dependencies, who is calling, and the
domain's refusals as problem documents. Handlers (api.py, admin_api.py, internal_api.py)
stay thin: parse → one use case → response."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog
from aiohttp import web
from servicekit import errors as kit
from servicekit.identity import Identity, require_dossier, require_role
from servicekit.service import DB, SETTINGS

from .domain import errors
from .pdf import PdfPrinter
from .providers import provider_from_settings
from .service import Billing
from .service.qf_config import QfConfig

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The provider needs the pool, which exists once the app has started: made at first use and
# kept in this holder (set up with the app, so nothing changes the app's own state later).
PROVIDER = web.AppKey("payment_provider", dict)
STAFF_ROLE = "billing_staff"
# The app's PDF printer (its worker processes live as long as the app: app.py's printer_ctx).
PRINTER = web.AppKey("pdf_printer", PdfPrinter)


def billing_of_app(app: web.Application) -> Billing:
    """The use cases' dependencies; the pool exists once the app has started."""
    settings = app[SETTINGS]
    holder = app[PROVIDER]
    if "provider" not in holder:
        holder["provider"] = provider_from_settings(settings, app[DB])
    return Billing(
        pool=app[DB],
        provider=holder["provider"],
        public_url=settings.public_url,
        resolve_after=timedelta(minutes=settings.payment_resolve_after_minutes),
        town_name=settings.town_name,
        town_address=tuple(x.strip() for x in settings.town_address.split("|") if x.strip()),
        invoice_due_days=settings.invoice_due_days,
        invoicing_batch_size=settings.invoicing_batch_size,
        invoicing_in_flight=settings.invoicing_in_flight,
        printer=app[PRINTER],
        qf=QfConfig(
            uploads_dir=settings.uploads_dir,
            proof_max_bytes=settings.proof_max_bytes,
            virus_scan_command=settings.virus_scan_command,
            proof_retention_days=settings.qf_proof_retention_days,
            meal_activity_codes=tuple(c.strip() for c in settings.meal_activity_codes.split(",") if c.strip()),
            town_name=settings.town_name,
        ),
    )


def billing(request: web.Request) -> Billing:
    return billing_of_app(request.app)


def family(request: web.Request):
    """The caller's own dossier id (a parent's; 403 without one)."""
    return require_dossier(request)


def staff(request: web.Request) -> Identity:
    identity = require_role(request, STAFF_ROLE)
    structlog.contextvars.bind_contextvars(user_id=str(identity.user_id))
    return identity


# --- the domain's refusals → problem documents ---------------------------------------------

_KINDS: tuple[tuple[type[errors.BillingError], type[kit.DomainError]], ...] = (
    (errors.InvalidInput, kit.Invalid),
    (errors.NotFound, kit.NotFound),
    (errors.Conflict, kit.Conflict),
)


def as_problem(exc: errors.BillingError) -> kit.DomainError:
    kind = next((k for cls, k in _KINDS if isinstance(exc, cls)), kit.DomainError)
    field_errors = [kit.FieldError(e.field, e.code, e.message) for e in exc.errors]
    return kind(exc.code, exc.message, errors=field_errors)


def with_billing_errors(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except errors.BillingError as exc:
            raise as_problem(exc) from None

    return wrapped


def json_model(model, *, status: int = 200) -> web.Response:
    return web.Response(body=model.model_dump_json().encode(), status=status, content_type="application/json")
