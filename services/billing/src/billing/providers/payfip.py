"""PayFiP, the Treasury's online payment, through eopayment's ``payfip_ws`` backend.

eopayment's ``payfip_ws`` speaks PayFiP's SOAP web service (``creerPaiementSecurise`` opens an
operation and returns its ``idOp``; ``recupererDetailPaiementSecurise`` tells what became of
it). Its legacy ``tipi`` backend is never used: it reads the payment's outcome from the
notification's query string, which anybody can forge. Here the outcome only ever comes from
the web service.

- eopayment is blocking (zeep over requests): every call runs in this provider's own thread
  pool, so the event loop keeps serving while PayFiP thinks. Each HTTP exchange is bounded by
  ``timeout_seconds`` and the whole call by twice that; past it :class:`PayfipTimeout`.
- ``start`` checks, before any call, the amount against :data:`PAYFIP_LIMITS` (1,00 € to
  100 000,00 €), the ``refdet`` with :func:`check_refdet` (6–30 letters or digits) and the
  e-mail address PayFiP requires, all as :class:`InvalidInput` (422).
- ``result(idop)`` maps PayFiP's answer (through eopayment's ``payment_status``):

  ========================================  ===========
  PayFiP                                    state
  ========================================  ===========
  ``resultrans`` P (card) / V (direct debit)  ``paid``
  ``resultrans`` R (card) / Z (direct debit)  ``refused``
  ``resultrans`` A (cancelled), 2 min on      ``refused``
  ``resultrans`` A, the first 2 minutes       ``pending`` (eopayment: the idOp may still be paid)
  fault P5 « Résultat … non connu »           ``pending`` (not paid yet, or never will be)
  fault P1 « IdOp incorrect »                 ``unknown`` (never created, or purged at night)
  another client's or mode's operation        ``unknown`` (``numcli``/``saisie`` not ours)
  ========================================  ===========

  An ``idOp`` can be paid for 15 minutes (``OPERATION_LIFETIME``); eopayment still waits
  :data:`PENDING_GRACE` (2 hours) before taking a lasting P5 for « never paid »: the periodic
  job expires a payment still ``pending`` that long after its start, or once it is ``unknown``.
- Failures: :class:`PayfipRefused` (PayFiP refused the request, with its code, e.g. ``R3``),
  :class:`PayfipUnavailable` (network, technical fault, unexpected answer) and its subclass
  :class:`PayfipTimeout`. Both mean « try again later »; nothing was decided about money.

Settings (:class:`PayfipSettings`, variables ``BILLING_PAYFIP_*``): see docs/billing-payfip.md.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from ipaddress import ip_address
from typing import Literal, TypeVar
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import asyncpg
import requests
import structlog
import zeep
from eopayment import common as eo
from eopayment import payfip_ws
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from billing.domain.errors import InvalidInput
from billing.domain.money import Money
from billing.domain.payment_rules import PAYFIP_LIMITS, check_refdet
from billing.providers import OperationResult, PaymentProvider, StartedOperation

log = structlog.get_logger(__name__)
# zeep logs whole SOAP envelopes (the parent's e-mail among them) at DEBUG: never let them out.
logging.getLogger("zeep.transports").setLevel(logging.INFO)
PARIS = ZoneInfo("Europe/Paris")
T = TypeVar("T")

# The production endpoint: eopayment reads its bundled copy of the WSDL for it (PayFiP's own
# published WSDL points at unresolvable schemas); any other endpoint serves its WSDL at ?wsdl.
PAYFIP_SERVICE_URL = "https://www.payfip.gouv.fr/tpa/services/securite"
PAYFIP_PAYMENT_PAGE_URL = payfip_ws.PAYMENT_URL
PENDING_GRACE = timedelta(minutes=payfip_ws.Payment.P5_WAITING_IN_MINUTES)

_IDOP = re.compile(r"^[A-Za-z0-9-]{1,64}$")  # PayFiP's are UUIDs; anything else is not one of them
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_FUNCTIONAL_CODE = re.compile(r"^[A-Z][0-9]{1,2}$")  # PayFiP's FonctionnelleErreur codes: R3, A2, P1…
_STATES: dict[int, Literal["paid", "refused", "pending", "unknown"]] = {
    eo.PAID: "paid",
    eo.DENIED: "refused",
    eo.CANCELLED: "refused",
    eo.WAITING: "pending",
    eo.EXPIRED: "unknown",  # without a transaction date eopayment says EXPIRED only for P1
}


class PayfipSettings(BaseSettings):
    """``BILLING_PAYFIP_NUMCLI``, ``BILLING_PAYFIP_URL``, ``BILLING_PAYFIP_SAISIE``…"""

    model_config = SettingsConfigDict(env_prefix="BILLING_PAYFIP_", extra="ignore")

    # Empty by default so that a town on the simulated Treasury needs no value; the provider
    # refuses to start without one.
    numcli: str = Field("", pattern=r"^([0-9]{6})?$", description="the town's PayFiP client number (DGFiP)")
    url: str = Field(PAYFIP_SERVICE_URL, description="PayFiP's web service endpoint")
    payment_page_url: str = Field(PAYFIP_PAYMENT_PAGE_URL, description="the page a parent pays on")
    saisie: Literal["T", "X", "W"] = Field("T", description="T test, X activation, W production")
    objet: str = Field("Portail Famille", max_length=100, description="shown to the Treasury's agents")
    timeout_seconds: float = Field(15.0, gt=0, le=120, description="one HTTP exchange with PayFiP")
    threads: int = Field(4, ge=1, le=32, description="eopayment's blocking calls at once")

    @field_validator("url", "payment_page_url")
    @classmethod
    def _https_or_loopback(cls, value: str) -> str:
        # Plain HTTP only to this machine (a local stand-in); PayFiP itself is HTTPS.
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value
        if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
            return value
        raise ValueError("an https:// URL (http:// only for a loopback stand-in)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


class PayfipError(Exception):
    """PayFiP did not do what was asked; ``code`` is PayFiP's (``R3``…) or ours."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class PayfipRefused(PayfipError):
    """PayFiP answered a FonctionnelleErreur for the request (bad client number, URL…)."""


class PayfipUnavailable(PayfipError):
    """No usable answer: network, technical fault, unexpected answer. Try again later."""


class PayfipTimeout(PayfipUnavailable):
    """PayFiP did not answer in time."""


class PayfipProvider(PaymentProvider):
    name = "payfip"

    def __init__(self, settings: PayfipSettings, *, executor: Executor | None = None):
        if not settings.numcli:
            raise ValueError("BILLING_PAYFIP_NUMCLI (the town's PayFiP client number) is required for PayFiP")
        self.settings = settings
        self._owns_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(max_workers=settings.threads, thread_name_prefix="payfip")
        transport = zeep.Transport(timeout=settings.timeout_seconds, operation_timeout=settings.timeout_seconds)
        wsdl_url = payfip_ws.WSDL_URL if settings.url == PAYFIP_SERVICE_URL else f"{settings.url}?wsdl"
        # One SOAP client for every call: zeep parses the WSDL once, on the first call (in a thread).
        self._payfip = payfip_ws.PayFiP(wsdl_url=wsdl_url, zeep_client_kwargs={"transport": transport})
        self._client_lock = threading.Lock()

    async def close(self) -> None:
        if self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)

    # -- the interface --------------------------------------------------------------------
    async def start(
        self,
        *,
        payment_id: uuid.UUID,
        refdet: str,
        amount_cents: int,
        email: str | None,
        return_url: str,
        notification_url: str,
        conn: asyncpg.Connection | None = None,
    ) -> StartedOperation:
        amount = PAYFIP_LIMITS.check(Money(amount_cents))  # Money refuses floats and bools
        check_refdet(refdet)
        email = _check_email(email)
        backend = self._backend(return_url=return_url, notification_url=notification_url)
        idop, _kind, _url = await self._call(
            lambda: backend.request(
                Decimal(amount.cents).scaleb(-2),  # exact euros; eopayment turns them back into cents
                email=email,
                refdet=refdet,
                exer=str(datetime.now(PARIS).year),  # the budget year, in the town's time zone
                subject=self.settings.objet,
                timeout=self.settings.timeout_seconds,
            )
        )
        log.info("payfip.operation_started", payment_id=str(payment_id), idop=idop, refdet=refdet)
        return StartedOperation(idop=idop, payment_url=f"{self.settings.payment_page_url}?{urlencode({'idop': idop})}")

    async def result(self, idop: str) -> OperationResult:
        if not isinstance(idop, str) or not _IDOP.match(idop):
            return OperationResult(idop=str(idop)[:64], state="unknown", amount_cents=None, refdet=None)
        backend = self._backend()
        response = await self._call(
            lambda: backend.payment_status(transaction_id=idop, timeout=self.settings.timeout_seconds)
        )
        return self._result_of(idop, response)

    # -- helpers --------------------------------------------------------------------------
    def _backend(self, *, return_url: str = "", notification_url: str = "") -> payfip_ws.Payment:
        backend = payfip_ws.Payment(
            {
                "numcli": self.settings.numcli,
                "saisie": self.settings.saisie,
                "normal_return_url": return_url,
                "automatic_return_url": notification_url,
            }
        )
        backend.payfip = self._payfip  # the shared client, pointed at the configured endpoint
        return backend

    def _result_of(self, idop: str, response: eo.PaymentResponse) -> OperationResult:
        if response.result == eo.ERROR:
            raise PayfipUnavailable("payfip_unexpected_answer", f"PayFiP a répondu : {response.bank_status}")
        data = dict(response.bank_data or {})
        if data and (
            data.get("idOp") != idop
            or data.get("numcli") != self.settings.numcli
            or data.get("saisie") != self.settings.saisie
        ):
            # An operation of another PayFiP client, or a test payment while we are in production.
            log.warning("payfip.foreign_operation", idop=idop, numcli=data.get("numcli"), saisie=data.get("saisie"))
            return OperationResult(idop=idop, state="unknown", amount_cents=None, refdet=None)
        state = _STATES[response.result]
        montant = data.get("montant")
        amount_cents = int(montant) if isinstance(montant, str) and montant.isdigit() else None
        result = OperationResult(
            idop=idop,
            state=state,
            amount_cents=amount_cents,
            refdet=data.get("refdet"),
            transaction_id=(data.get("numauto") or None) if state == "paid" else None,
        )
        log.info("payfip.operation_result", idop=idop, state=state, resultrans=data.get("resultrans"))
        return result

    async def _call(self, job: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(2 * self.settings.timeout_seconds):
                return await loop.run_in_executor(self._executor, self._in_thread, job)
        except TimeoutError:
            raise PayfipTimeout("payfip_timeout", "Le Trésor public (PayFiP) n'a pas répondu à temps.") from None
        except payfip_ws.PayFiPError as error:
            raise _translate(error) from error

    def _in_thread(self, job: Callable[[], T]) -> T:
        with self._client_lock:
            self._payfip.client  # noqa: B018 — builds the zeep client once, reading the WSDL
        return job()


def _check_email(email: str | None) -> str:
    # PayFiP sends its receipt there and refuses the operation without one (codes A1/A2).
    if not isinstance(email, str) or not (6 <= len(email) <= 80) or not _EMAIL.match(email):
        raise InvalidInput(
            "Une adresse e-mail valide est nécessaire pour payer en ligne auprès du Trésor public.",
            code="payment_email_invalid",
        )
    return email


def _translate(error: payfip_ws.PayFiPError) -> PayfipError:
    cause = error.message
    if isinstance(cause, requests.Timeout):
        return PayfipTimeout("payfip_timeout", "Le Trésor public (PayFiP) n'a pas répondu à temps.")
    if isinstance(error.code, str) and _FUNCTIONAL_CODE.match(error.code):
        return PayfipRefused(error.code, str(cause))
    return PayfipUnavailable("payfip_unavailable", f"Le Trésor public (PayFiP) est indisponible ({error.code}).")
