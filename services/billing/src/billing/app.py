"""Composition root of the billing service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Literal

import structlog
from aiohttp import web
from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from servicekit.openapi import add_routes, openapi_route
from servicekit.service import SETTINGS, ServiceSpec, create_service_app
from servicekit.service import main as service_main
from servicekit.settings import ServiceSettings
from servicekit.worker import background

from . import admin_api, api, attestations_api, consumers, demo, internal_api, invoices_api, qf_api, rpc
from .domain.qf import DEFAULT_PROOF_RETENTION_DAYS
from .pdf import PdfPrinter
from .service import campaign, invoicing_run, qf_retention, settlement
from .service.deps import Billing
from .service.qf_config import DEFAULT_PROOF_MAX_BYTES
from .web import PRINTER, PROVIDER, billing_of_app, with_billing_errors

log = structlog.get_logger(__name__)


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore", populate_by_name=True)

    http_port: int = 8083
    database_url: str = "postgresql://postgres@127.0.0.1:5432/billing"
    # simulated (development and tests) | payfip (required in production: the default
    # is refused there, so a real deployment has to say so).
    payment_provider: Literal["simulated", "payfip"] = "simulated"
    # The portal's public origin (https://portail.ville.fr), prefixed to the return and
    # notification URLs handed to the provider; empty: relative URLs (the simulated Treasury).
    public_url: str = ""
    # A payment still open this long after its creation is asked for at the provider
    # (its notification never came); past the operation's lifetime it expires.
    payment_resolve_after_minutes: int = Field(5, ge=1, le=24 * 60)
    payment_resolve_poll_seconds: float = Field(60.0, gt=0, le=3600)
    # Printed on invoices and credit notes; the address's lines are separated by « | ».
    town_name: str = Field("Mairie de Puiseux-en-France", min_length=1, max_length=200)
    town_address: str = Field("Place de la Mairie | 95380 Puiseux-en-France", min_length=1, max_length=500)
    invoice_due_days: int = Field(30, ge=1, le=90)
    # The scheduled monthly run: on this day of the month, from this hour (Europe/Paris), the
    # previous month is invoiced once; false leaves it to staff (tests, a town that prefers to).
    invoicing_schedule_enabled: bool = True
    invoicing_day: int = Field(1, ge=1, le=28)
    invoicing_hour: int = Field(6, ge=0, le=23)
    invoicing_poll_seconds: float = Field(600.0, gt=0, le=3600)
    # Families invoiced per transaction by the run (one numbering block, one COPY per batch).
    invoicing_batch_size: int = Field(500, ge=1, le=5000)
    # Batches at once (a connection each): one is read and priced while the one before writes.
    invoicing_in_flight: int = Field(2, ge=1, le=4)
    # Processes printing the PDFs (billing/pdf.py; 0: a thread of the service's own process,
    # whose requests then wait while WeasyPrint holds the GIL). The monthly run prints as many
    # at once; each worker holds WeasyPrint (~130 MiB).
    pdf_workers: int = Field(1, ge=0, le=16)
    # QF proofs (docs/billing.md « QF proofs »): written here, named by their id, outside
    # anything a web server serves; a volume of its own in production.
    uploads_dir: Path = Path("var/billing-uploads")
    proof_max_bytes: int = Field(DEFAULT_PROOF_MAX_BYTES, ge=1024, le=50 * 1024 * 1024)
    # Run on each stored proof with its path as last argument, e.g. "clamdscan --no-summary
    # --fdpass": exit 0 clean, 1 infected (refused), anything else: upload refused (503).
    virus_scan_command: str = ""
    # How often the campaign reminder job looks for families to remind (each one at most weekly).
    qf_reminder_poll_seconds: float = Field(3600.0, gt=0, le=7 * 24 * 3600)
    # A reviewed QF proof's file is deleted this many days after the decision (docs/billing.md
    # « Retention of QF proofs »); the review record stays. The purge job looks every poll.
    qf_proof_retention_days: int = Field(DEFAULT_PROOF_RETENTION_DAYS, ge=0, le=3 * 366)
    qf_proof_purge_poll_seconds: float = Field(6 * 3600.0, gt=0, le=7 * 24 * 3600)
    # planning's activity codes that are meals, left out of tax attestations (domain/attestation.py).
    meal_activity_codes: str = "cantine,restauration,repas"

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (or be empty)")
        return value.rstrip("/")

    # A production-mode stack that takes no real money (a demonstration or training
    # instance, the local docker compose) must say so explicitly; billing then logs a
    # warning at start-up and the gateway shows its « simulation » banner.
    allow_simulated_in_production: bool = False

    @model_validator(mode="after")
    def _real_money_in_production(self):
        if self.environment != "production":
            return self
        if self.payment_provider != "payfip" and not self.allow_simulated_in_production:
            raise ValueError(
                "BILLING_PAYMENT_PROVIDER must be payfip in production "
                "(or set BILLING_ALLOW_SIMULATED_IN_PRODUCTION=true for an instance that takes no real money)"
            )
        if self.payment_provider == "payfip" and not self.public_url.startswith("https://"):
            raise ValueError("BILLING_PUBLIC_URL must be the portal's https origin in production")
        return self

    @property
    def provider_name(self) -> str:
        return self.payment_provider


OPENAPI_ROUTE = openapi_route(
    "/api/billing/openapi.json",
    title="Portail Famille — billing",
    description="The family account (balance, credits, history), payments and their providers' "
    "notifications, and the staff's tariff grids, quotients familiaux, credits and exports. "
    "Reached through the gateway, which authenticates the caller.",
    summary="This OpenAPI 3.1 document",
    tag="Meta",
    access="Public.",
    operation_id="get_billing_openapi",
)
ROUTES = (
    *api.ROUTES,
    *admin_api.ROUTES,
    *invoices_api.ROUTES,
    *qf_api.ROUTES,
    *attestations_api.ROUTES,
    *internal_api.ROUTES,
    OPENAPI_ROUTE,
)


def setup(app: web.Application) -> None:
    app[PROVIDER] = {}
    app[PRINTER] = PdfPrinter(app[SETTINGS].pdf_workers)
    add_routes(app, ROUTES, wrap=with_billing_errors)


def event_handlers(app: web.Application):
    return consumers.event_handlers(partial(billing_of_app, app))


def rpc_handlers(app: web.Application):
    return rpc.rpc_handlers(partial(billing_of_app, app))


async def every(seconds: float, job: Callable[[], Awaitable[int]], done: str, failed: str) -> None:
    """Run ``job`` now and then every ``seconds``; a failed round is retried at the next one
    (logged by class only: a message could hold personal data)."""
    while True:
        try:
            count = await job()
            if count:
                log.info(done, count=count)
        except Exception as exc:
            log.error(failed, error=type(exc).__name__)
        await asyncio.sleep(seconds)


def periodic(
    name: str,
    poll_seconds: Callable[[BillingSettings], float],
    job: Callable[[Billing], Awaitable[int]],
    done: str,
    failed: str,
):
    """A cleanup context that runs ``job`` every ``poll_seconds(settings)`` for the app's life."""

    async def context(app: web.Application):
        loop = every(poll_seconds(app[SETTINGS]), lambda: job(billing_of_app(app)), done, failed)
        async with background(loop, name=name):
            yield

    return context


# Payments whose notification never came: ask the provider, settle or expire them.
payment_resolver = periodic(
    "billing-payment-resolver",
    lambda s: s.payment_resolve_poll_seconds,
    settlement.resolve_overdue,
    "overdue_payments_resolved",
    "overdue_payments_round_failed",
)
# The February campaign's reminders (service/campaign.py; at most one a week per family).
qf_reminders = periodic(
    "billing-qf-reminders",
    lambda s: s.qf_reminder_poll_seconds,
    campaign.send_reminders,
    "qf_campaign_reminders_sent",
    "qf_campaign_reminders_failed",
)
# QF proofs' files past their retention (service/qf_retention.py; the review record stays).
qf_proof_purge = periodic(
    "billing-qf-proof-purge",
    lambda s: s.qf_proof_purge_poll_seconds,
    qf_retention.purge_expired_proofs,
    "qf_proof_files_purged",
    "qf_proof_purge_failed",
)


async def provider_ctx(app: web.Application):
    """PayFiP's thread pool is closed when the app stops."""
    yield
    provider = app[PROVIDER].get("provider")
    if hasattr(provider, "close"):
        await provider.close()


async def printer_ctx(app: web.Application):
    """The PDF workers stop with the app (after the jobs that print: the first context)."""
    yield
    await app[PRINTER].close()


async def invoicing_schedule_ctx(app: web.Application):
    """The monthly invoicing run, from BILLING_INVOICING_DAY at BILLING_INVOICING_HOUR (Paris)."""
    settings: BillingSettings = app[SETTINGS]
    if not settings.invoicing_schedule_enabled:
        yield
        await invoicing_run.stop_running()
        return
    loop = invoicing_run.schedule_loop(
        partial(billing_of_app, app),
        day=settings.invoicing_day,
        hour=settings.invoicing_hour,
        every=settings.invoicing_poll_seconds,
    )
    async with background(loop, name="billing-invoicing-schedule"):
        yield
    await invoicing_run.stop_running()


SPEC = ServiceSpec(
    name="billing",
    migrations=Path(__file__).parent / "migrations",
    settings_class=BillingSettings,
    setup_routes=setup,
    event_handlers=event_handlers,
    rpc_handlers=rpc_handlers,
    extra_contexts=(printer_ctx, provider_ctx, payment_resolver, invoicing_schedule_ctx, qf_reminders, qf_proof_purge),
    demo_data=demo.load,
)


def create_app(settings: BillingSettings):
    return create_service_app(SPEC, settings)


def main() -> None:
    service_main(SPEC)
