"""A local stand-in of PayFiP's web service, so that tests never reach the real Treasury.

It speaks what eopayment's ``payfip_ws`` speaks, on 127.0.0.1 only:

- ``GET  /tpa/services/securite?wsdl`` and its three schemas: the WSDL eopayment ships
  (read from the installed package), its ``soap:address`` pointing here;
- ``POST /tpa/services/securite``: the SOAP operations ``creerPaiementSecurise``,
  ``recupererDetailPaiementSecurise`` and ``recupererDetailClient``, with PayFiP's answers
  (same namespaces and elements) and its FonctionnelleErreur faults (HTTP 500, faultstring
  ``fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur``, ``code``/``libelle``):
  T1/T2 client number, S1 mode, R3 ``refdet`` (6–30 letters or digits), A1/A2 e-mail, M1/M3/M5
  amount (integer cents, 100 to 10 000 000), N1/D1 URLs; P1 unknown ``idOp``, P5 no result yet;
- ``GET  /tpa/paiementws.web?idop=…``: a bare page naming the operation (404 when unknown).

The test plays the parent and the bank: ``pay(idop)`` (``resultrans`` P or V), ``refuse(idop)``
(R or Z), ``cancel(idop)`` (A), ``purge()`` (PayFiP's night cleaning: every idOp becomes P1),
``notify(idop)`` (PayFiP's server-to-server call: a form POST ``idOp=…`` to ``urlnotif``).
``delay`` holds every SOAP answer that many seconds; ``unavailable`` answers a
TechIndisponibiliteErreur; ``calls`` lists the SOAP operations received, in order.
"""

from __future__ import annotations

import asyncio
import html
import re
import secrets
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.resources import files
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

PARIS = ZoneInfo("Europe/Paris")
SERVICE_PATH = "/tpa/services/securite"
PAGE_PATH = "/tpa/paiementws.web"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService"
)
FUNCTIONAL_FAULT = "fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur"
UNAVAILABLE_FAULT = "fr.gouv.finances.cp.tpa.webservice.exceptions.TechIndisponibiliteErreur"
LIFETIME = timedelta(minutes=15)
SCHEMAS = tuple(f"PaiementSecuriseService_schema{n}.xsd" for n in (1, 2, 3))
DETAIL_FIELDS = ("dattrans", "exer", "heurtrans", "idOp", "mel", "montant", "numauto", "numcli", "objet")
DETAIL_FIELDS += ("refdet", "resultrans", "saisie")

_REFDET = re.compile(r"^[A-Za-z0-9]{6,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class StandInError(Exception):
    """A FonctionnelleErreur: PayFiP's code and its French label."""

    def __init__(self, code: str, libelle: str):
        super().__init__(code, libelle)
        self.code = code
        self.libelle = libelle


@dataclass
class Operation:
    idop: str
    numcli: str
    saisie: str
    exer: str
    refdet: str
    montant: str
    mel: str
    objet: str | None
    urlnotif: str
    urlredirect: str
    created_at: datetime
    resultrans: str | None = None
    paid_at: datetime | None = None
    numauto: str | None = None

    def detail(self) -> dict[str, str | None]:
        return {
            "dattrans": f"{self.paid_at:%d%m%Y}" if self.paid_at else None,
            "exer": self.exer,
            "heurtrans": f"{self.paid_at:%H%M}" if self.paid_at else None,
            "idOp": self.idop,
            "mel": self.mel,
            "montant": self.montant,
            "numauto": self.numauto,
            "numcli": self.numcli,
            "objet": self.objet,
            "refdet": self.refdet,
            "resultrans": self.resultrans,
            "saisie": self.saisie,
        }


@dataclass
class PayfipStandIn:
    clients: dict[str, str] = field(default_factory=lambda: {"090909": "REGIE PERISCOLAIRE"})
    delay: float = 0.0
    unavailable: bool = False
    operations: dict[str, Operation] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    base_url: str = ""
    _runner: web.AppRunner | None = None

    @property
    def service_url(self) -> str:
        return self.base_url + SERVICE_PATH

    @property
    def page_url(self) -> str:
        return self.base_url + PAGE_PATH

    async def start(self) -> PayfipStandIn:
        app = web.Application()
        app.router.add_get(SERVICE_PATH, self._wsdl)
        app.router.add_get("/tpa/services/{name}", self._schema)
        app.router.add_post(SERVICE_PATH, self._soap)
        app.router.add_get(PAGE_PATH, self._page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what the parent and the bank do --------------------------------------------------
    def create(self, **fields: str) -> str:
        """Open an operation as ``creerPaiementSecurise`` would (checks included)."""
        self._check_creation(fields)
        idop = str(uuid.uuid1())
        self.operations[idop] = Operation(
            idop=idop,
            created_at=datetime.now(PARIS),
            objet=fields.get("objet") or None,
            exer=fields.get("exer", ""),
            **{k: fields[k] for k in ("numcli", "saisie", "refdet", "montant", "mel", "urlnotif", "urlredirect")},
        )
        return idop

    def pay(self, idop: str, *, resultrans: str = "P", at: datetime | None = None) -> None:
        if resultrans not in ("P", "V"):
            raise ValueError("a payment is P (card) or V (direct debit)")
        self._settle(idop, resultrans, at)
        self.operations[idop].numauto = f"{secrets.randbelow(10**12):012d}-tip"

    def refuse(self, idop: str, *, resultrans: str = "R", at: datetime | None = None) -> None:
        if resultrans not in ("R", "Z"):
            raise ValueError("a refusal is R (card) or Z (direct debit)")
        self._settle(idop, resultrans, at)

    def cancel(self, idop: str, *, at: datetime | None = None) -> None:
        self._settle(idop, "A", at)

    def purge(self) -> None:
        self.operations.clear()

    async def notify(self, idop: str) -> int:
        async with aiohttp.ClientSession() as session:
            async with session.post(self.operations[idop].urlnotif, data={"idOp": idop}) as response:
                return response.status

    def _settle(self, idop: str, resultrans: str, at: datetime | None) -> None:
        operation = self.operations[idop]
        at = (at or datetime.now(PARIS)).astimezone(PARIS)
        if operation.resultrans is not None:
            raise StandInError("P3", "L'idOp a déjà été utilisé.")
        if at - operation.created_at > LIFETIME:
            raise StandInError("P4", "L'idOp a été enregistré depuis plus de 15 minutes.")
        operation.resultrans, operation.paid_at = resultrans, at

    # -- the web service ------------------------------------------------------------------
    async def _wsdl(self, request: web.Request) -> web.Response:
        if "wsdl" not in request.query:
            raise web.HTTPNotFound()
        wsdl = _resource("PaiementSecuriseService.wsdl").replace(
            'location="https://www.payfip.gouv.fr/tpa/services/securite"', f'location="{self.service_url}"'
        )
        return web.Response(text=wsdl, content_type="text/xml")

    async def _schema(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in SCHEMAS:
            raise web.HTTPNotFound()
        return web.Response(text=_resource(name), content_type="text/xml")

    async def _soap(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.delay:
            await asyncio.sleep(self.delay)
        try:
            operation = ET.fromstring(body).find(f"{{{SOAP_ENV}}}Body")[0]
        except (ET.ParseError, TypeError, IndexError):
            return _fault("S:Client", "Couldn't create SOAP message due to exception: XML reader error")
        name = operation.tag.rpartition("}")[2]
        self.calls.append(name)
        if self.unavailable:
            return _fault(
                "S:Server", UNAVAILABLE_FAULT, _detail("TechIndisponibiliteErreur", "I1", "Service indisponible.")
            )
        arg0 = operation.find("arg0")
        fields = {child.tag: (child.text or "") for child in (arg0 if arg0 is not None else [])}
        handler = {
            "creerPaiementSecurise": self._creer,
            "recupererDetailPaiementSecurise": self._detail_paiement,
            "recupererDetailClient": self._detail_client,
        }.get(name)
        if handler is None:
            return _fault("S:Client", f"Cannot find dispatch method for {{{SERVICE_NS}}}{name}")
        try:
            return _answer(f"{name}Response", handler(fields))
        except StandInError as error:
            return _fault("S:Server", FUNCTIONAL_FAULT, _detail("FonctionnelleErreur", error.code, error.libelle))

    def _creer(self, fields: dict[str, str]) -> dict[str, str | None]:
        return {"idOp": self.create(**fields)}

    def _detail_paiement(self, fields: dict[str, str]) -> dict[str, str | None]:
        operation = self.operations.get(fields.get("idOp", ""))
        if operation is None:
            raise StandInError("P1", "IdOp incorrect.")
        if operation.resultrans is None:
            raise StandInError("P5", "Résultat de la transaction non connu.")
        return operation.detail()

    def _detail_client(self, fields: dict[str, str]) -> dict[str, str | None]:
        numcli = fields.get("numCli", "")
        if numcli not in self.clients:
            raise StandInError("T2", "Le numéro de client n'existe pas.")
        return {"libelleN1": self.clients[numcli], "libelleN2": None, "libelleN3": None, "numcli": numcli}

    def _check_creation(self, f: dict[str, str]) -> None:
        # PayFiP checks in this order: a bad e-mail with an amount over the limit answers A2.
        numcli = f.get("numcli", "")
        if not (numcli.isdigit() and len(numcli) == 6):
            raise StandInError("T1", "Le numéro de client est incorrect.")
        if numcli not in self.clients:
            raise StandInError("T2", "Le numéro de client n'existe pas.")
        if f.get("saisie") not in ("T", "X", "W"):
            raise StandInError("S1", "Le mode de saisie est incorrect.")
        if not _REFDET.match(f.get("refdet", "")):
            raise StandInError("R3", "Le format du paramètre REFDET n'est pas conforme")
        mel = f.get("mel", "")
        if not mel:
            raise StandInError("A1", "Adresse mél non renseignée.")
        if not (6 <= len(mel) <= 80 and _EMAIL.match(mel)):
            raise StandInError("A2", "Adresse mél incorrecte. ")
        montant = f.get("montant", "")
        if not montant.isdigit() or len(montant) > 11:
            raise StandInError("M1", "Le format du montant n'est pas correct.")
        if int(montant) < 100:
            raise StandInError("M3", "Le montant doit être au moins de 1 euro.")
        if int(montant) > 10_000_000:
            raise StandInError("M5", "Le montant dépasse la limite autorisée.")
        for key, code in (("urlnotif", "N1"), ("urlredirect", "D1")):
            if not re.match(r"^https?://", f.get(key, "")) or len(f[key]) > 250:
                raise StandInError(code, f"Le paramètre {key.upper()} n'est pas conforme.")

    async def _page(self, request: web.Request) -> web.Response:
        operation = self.operations.get(request.query.get("idop", ""))
        if operation is None:
            raise web.HTTPNotFound(text="Opération inconnue.")
        euros = f"{int(operation.montant) // 100},{int(operation.montant) % 100:02d} €"
        text = f"<h1>PayFiP (stand-in)</h1><p>{html.escape(operation.refdet)} : {euros}</p>"
        return web.Response(text=text, content_type="text/html")


def _resource(name: str) -> str:
    return (files("eopayment") / "resource" / name).read_text(encoding="utf-8")


def _envelope(body: str) -> str:
    return f'<S:Envelope xmlns:S="{SOAP_ENV}"><S:Body>{body}</S:Body></S:Envelope>'


def _answer(element: str, values: dict[str, str | None]) -> web.Response:
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in values.items() if v is not None)
    body = f'<ns2:{element} xmlns:ns2="{SERVICE_NS}"><return>{inner}</return></ns2:{element}>'
    return web.Response(text=_envelope(body), content_type="text/xml", charset="utf-8")


def _detail(kind: str, code: str, libelle: str) -> str:
    return (
        f'<detail><ns2:{kind} xmlns:ns2="{SERVICE_NS}"><code>{escape(code)}</code><descriptif/>'
        f"<libelle>{escape(libelle)}</libelle><severite>2</severite></ns2:{kind}></detail>"
    )


def _fault(faultcode: str, faultstring: str, detail: str = "") -> web.Response:
    body = (
        f'<S:Fault xmlns:ns4="http://www.w3.org/2003/05/soap-envelope"><faultcode>{faultcode}</faultcode>'
        f"<faultstring>{escape(faultstring)}</faultstring>{detail}</S:Fault>"
    )
    return web.Response(status=500, text=_envelope(body), content_type="text/xml", charset="utf-8")
