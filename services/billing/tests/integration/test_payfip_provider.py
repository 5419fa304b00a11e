"""PayfipProvider against the local stand-in of PayFiP's web service (never the real Treasury).

eopayment's payfip_ws speaks real SOAP to the stand-in over 127.0.0.1: the WSDL, the envelopes
and the faults go through zeep exactly as they would with PayFiP.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import importlib.util
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from billing.domain.errors import InvalidInput
from billing.providers import OperationResult, StartedOperation
from billing.providers.payfip import (
    PayfipProvider,
    PayfipRefused,
    PayfipSettings,
    PayfipTimeout,
    PayfipUnavailable,
)
from eopayment import payfip_ws


def _load_standin():
    path = Path(__file__).parents[1] / "payfip_standin.py"
    spec = importlib.util.spec_from_file_location("billing_tests_payfip_standin", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building the class
    spec.loader.exec_module(module)
    return module


standin_module = _load_standin()
PARIS = ZoneInfo("Europe/Paris")
NUMCLI = "090909"
MEL = "parent.lederf@example.org"
REFDET = "20261206A1B2C3D4E5F6A7B8C9D0"


class _NoTipi(importlib.abc.MetaPathFinder):
    """Makes any import of eopayment's legacy tipi backend fail loudly while these tests run."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "eopayment.tipi":
            raise AssertionError("eopayment.tipi must never be imported: it trusts unsigned results")
        return None


@pytest.fixture(autouse=True)
def no_tipi():
    finder = _NoTipi()
    sys.meta_path.insert(0, finder)
    yield
    sys.meta_path.remove(finder)
    assert "eopayment.tipi" not in sys.modules


@pytest.fixture
async def standin():
    server = await standin_module.PayfipStandIn().start()
    yield server
    await server.close()


def make_provider(standin, **overrides) -> PayfipProvider:
    fields = {"numcli": NUMCLI, "saisie": "T", "timeout_seconds": 5.0, **overrides}
    settings = PayfipSettings(url=standin.service_url, payment_page_url=standin.page_url, **fields)
    return PayfipProvider(settings)


@pytest.fixture
async def provider(standin):
    provider = make_provider(standin)
    yield provider
    await provider.close()


async def start(provider, *, amount_cents=1000, refdet=REFDET, email=MEL) -> StartedOperation:
    return await provider.start(
        payment_id=uuid.uuid4(),
        refdet=refdet,
        amount_cents=amount_cents,
        email=email,
        return_url="https://portail.example.org/facturation/paiements/1",
        notification_url="https://portail.example.org/api/billing/payments/notifications/payfip",
    )


async def test_start_opens_an_operation_and_gives_the_payfip_page(provider, standin):
    started = await start(provider, amount_cents=1234)

    assert standin.calls == ["creerPaiementSecurise"]
    operation = standin.operations[started.idop]
    assert (operation.numcli, operation.saisie, operation.montant) == (NUMCLI, "T", "1234")
    assert (operation.refdet, operation.mel, operation.objet) == (REFDET, MEL, "Portail Famille")
    assert operation.exer == str(datetime.now(PARIS).year)
    assert operation.urlnotif.endswith("/notifications/payfip")
    assert operation.urlredirect.endswith("/facturation/paiements/1")
    url = urlsplit(started.payment_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == standin.page_url
    assert parse_qs(url.query) == {"idop": [started.idop]}
    async with aiohttp.ClientSession() as session, session.get(started.payment_url) as page:
        assert page.status == 200
        assert "12,34 €" in await page.text()


@pytest.mark.parametrize("resultrans", ["P", "V"])
async def test_a_paid_operation_is_paid_with_its_amount_reference_and_authorisation(provider, standin, resultrans):
    started = await start(provider, amount_cents=4250)
    standin.pay(started.idop, resultrans=resultrans)

    result = await provider.result(started.idop)

    numauto = standin.operations[started.idop].numauto
    assert result == OperationResult(started.idop, "paid", 4250, REFDET, transaction_id=numauto)
    assert standin.calls == ["creerPaiementSecurise", "recupererDetailPaiementSecurise"]


@pytest.mark.parametrize("resultrans", ["R", "Z"])
async def test_a_refused_operation_is_refused(provider, standin, resultrans):
    started = await start(provider)
    standin.refuse(started.idop, resultrans=resultrans)

    assert await provider.result(started.idop) == OperationResult(started.idop, "refused", 1000, REFDET)


async def test_a_cancelled_operation_stays_pending_two_minutes_then_is_refused(provider, standin):
    just_now, earlier = await start(provider), await start(provider)
    standin.cancel(just_now.idop)
    standin.cancel(earlier.idop, at=datetime.now(PARIS) - timedelta(minutes=3))

    # eopayment: PayFiP says A while the parent may still come back and pay the same idOp.
    assert (await provider.result(just_now.idop)).state == "pending"
    assert (await provider.result(earlier.idop)).state == "refused"


async def test_an_operation_without_result_is_pending(provider, standin):
    started = await start(provider)

    result = await provider.result(started.idop)

    assert result == OperationResult(started.idop, "pending", None, None)


async def test_an_idop_payfip_does_not_know_is_unknown(provider, standin):
    started = await start(provider)
    standin.purge()  # PayFiP's night cleaning: P1 from then on

    assert (await provider.result(started.idop)).state == "unknown"
    assert (await provider.result(str(uuid.uuid4()))).state == "unknown"
    assert standin.calls.count("recupererDetailPaiementSecurise") == 2


@pytest.mark.parametrize("idop", ["", "x" * 65, "<idOp>1</idOp>", "1 OR 1=1"])
async def test_a_malformed_idop_is_unknown_without_asking(provider, standin, idop):
    assert (await provider.result(idop)).state == "unknown"
    assert standin.calls == []


@pytest.mark.parametrize(("numcli", "saisie"), [("123456", "T"), (NUMCLI, "W")])
async def test_another_clients_or_modes_operation_is_unknown(provider, standin, numcli, saisie):
    standin.clients[numcli] = "UNE AUTRE REGIE"
    idop = standin.create(
        numcli=numcli, saisie=saisie, exer="2026", refdet=REFDET, montant="1000", mel=MEL,
        urlnotif="https://elsewhere.example/n", urlredirect="https://elsewhere.example/r",
    )  # fmt: skip
    standin.pay(idop)

    assert await provider.result(idop) == OperationResult(idop, "unknown", None, None)


@pytest.mark.parametrize("amount_cents", [100, 10_000_000])
async def test_amounts_at_the_limits_are_sent_in_cents(provider, standin, amount_cents):
    started = await start(provider, amount_cents=amount_cents)

    assert standin.operations[started.idop].montant == str(amount_cents)


@pytest.mark.parametrize("amount_cents", [0, 99, 10_000_001, -100])
async def test_amounts_outside_the_limits_are_refused_before_any_call(provider, standin, amount_cents):
    with pytest.raises(InvalidInput) as refused:
        await start(provider, amount_cents=amount_cents)

    assert refused.value.code == "payment_amount_out_of_limits"
    assert standin.calls == []


@pytest.mark.parametrize("amount", [10.0, True, "1000"])
async def test_an_amount_that_is_not_integer_cents_never_leaves(provider, standin, amount):
    with pytest.raises(TypeError):
        await start(provider, amount_cents=amount)
    assert standin.calls == []


@pytest.mark.parametrize("refdet", ["ABCDE", "A" * 31, "2026-12-06", "FACTURÉ123", "", "ABC DEF"])
async def test_an_invalid_refdet_is_refused_before_any_call(provider, standin, refdet):
    with pytest.raises(InvalidInput) as refused:
        await start(provider, refdet=refdet)

    assert refused.value.code == "refdet_invalid"
    assert standin.calls == []


@pytest.mark.parametrize("email", [None, "", "a@b", "parent.example.org", "x" * 75 + "@example.org"])
async def test_an_email_payfip_would_refuse_is_refused_before_any_call(provider, standin, email):
    with pytest.raises(InvalidInput) as refused:
        await start(provider, email=email)

    assert refused.value.code == "payment_email_invalid"
    assert standin.calls == []


async def test_payfip_refusing_the_request_is_a_refusal_with_its_code(standin):
    provider = make_provider(standin, numcli="654321")  # no such client at PayFiP
    try:
        with pytest.raises(PayfipRefused) as refused:
            await start(provider)
    finally:
        await provider.close()

    assert refused.value.code == "T2"
    assert standin.operations == {}


async def test_payfip_out_of_service_is_unavailable(provider, standin):
    started = await start(provider)
    standin.unavailable = True

    with pytest.raises(PayfipUnavailable) as unavailable:
        await provider.result(started.idop)
    assert unavailable.value.code == "payfip_unavailable"


async def test_the_blocking_call_runs_off_the_event_loop(provider, standin):
    standin.delay = 0.6
    ticks: list[float] = []

    async def ticker():
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    beat = asyncio.create_task(ticker())
    try:
        started = await start(provider)
    finally:
        beat.cancel()

    assert started.idop in standin.operations
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert ticks[-1] - ticks[0] >= 0.6
    # On the loop, the call would stall it for the whole 0.6 s delay; off it, gaps stay well
    # below that even on a loaded 2-core machine (the thread's XML parsing holds the GIL a while).
    assert len(ticks) >= 10 and max(gaps) < 0.5, "the loop stalled while PayFiP was answering"


async def test_concurrent_calls_share_the_client_safely(provider, standin):
    standin.delay = 0.1
    started = await asyncio.gather(*(start(provider, amount_cents=100 + n) for n in range(10)))
    for operation in started[::2]:
        standin.pay(operation.idop)

    results = await asyncio.gather(*(provider.result(operation.idop) for operation in started))

    assert len({operation.idop for operation in started}) == 10
    assert [r.amount_cents for r in results[::2]] == [100, 102, 104, 106, 108]
    assert {r.state for r in results[1::2]} == {"pending"}


async def test_a_slow_payfip_is_a_timeout_in_bounded_time(standin):
    provider = make_provider(standin, timeout_seconds=0.3)
    await provider.result(str(uuid.uuid4()))  # reads the WSDL while the stand-in is quick
    standin.delay = 1.5
    began = time.monotonic()
    try:
        with pytest.raises(PayfipTimeout) as timed_out:
            await start(provider)
    finally:
        await provider.close()

    assert time.monotonic() - began < 1.5
    assert timed_out.value.code == "payfip_timeout"


async def test_an_unreachable_payfip_is_unavailable(standin):
    await standin.close()  # nothing listens there any more
    provider = make_provider(standin, timeout_seconds=1)
    try:
        with pytest.raises(PayfipUnavailable):
            await provider.result(str(uuid.uuid4()))
    finally:
        await provider.close()


async def test_a_notification_is_verified_by_asking_payfip(provider, standin):
    """PayFiP posts only ``idOp``; the receiver asks the web service what became of it."""
    seen: list[OperationResult] = []

    async def notification(request: web.Request) -> web.Response:
        form = await request.post()
        seen.append(await provider.result(form["idOp"]))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/notify", notification)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        started = await provider.start(
            payment_id=uuid.uuid4(), refdet=REFDET, amount_cents=748, email=MEL,
            return_url="https://portail.example.org/r", notification_url=f"http://127.0.0.1:{port}/notify",
        )  # fmt: skip
        assert await standin.notify(started.idop) == 200  # forged: nothing was paid yet
        standin.pay(started.idop)
        assert await standin.notify(started.idop) == 200
    finally:
        await runner.cleanup()

    assert [r.state for r in seen] == ["pending", "paid"]
    assert seen[1].amount_cents == 748


async def test_the_standin_answers_like_payfip_to_eopayment(standin):
    """eopayment's own client gets PayFiP's faults from the stand-in (codes and labels)."""
    client = payfip_ws.PayFiP(wsdl_url=f"{standin.service_url}?wsdl")
    base = dict(
        numcli=NUMCLI, saisie="T", exer="2026", montant="1000", mel=MEL, objet=None,
        url_notification="https://n.example.org/", url_redirect="https://r.example.org/",
    )  # fmt: skip

    def refusal(**fields) -> tuple[str, str]:
        with pytest.raises(payfip_ws.PayFiPError) as error:
            client.get_idop(**{**base, **fields})
        return error.value.code, error.value.message

    assert await asyncio.to_thread(refusal, refdet="ABCD") == ("R3", "Le format du paramètre REFDET n'est pas conforme")
    # PayFiP checks the e-mail before the amount: both wrong answers A2.
    bad_mel_and_amount = {"refdet": "ABCDEF", "montant": "9990000001", "mel": "john.doeexample.com"}
    assert (await asyncio.to_thread(refusal, **bad_mel_and_amount))[0] == "A2"
    assert (await asyncio.to_thread(refusal, refdet="ABCDEF", montant="10000001"))[0] == "M5"
    assert (await asyncio.to_thread(refusal, refdet="ABCDEF", montant="99"))[0] == "M3"
    with pytest.raises(payfip_ws.PayFiPError, match="P1.*IdOp incorrect"):
        await asyncio.to_thread(client.get_info_paiement, str(uuid.uuid4()))
    idop = await asyncio.to_thread(client.get_idop, **base, refdet="ABCDEF")
    with pytest.raises(payfip_ws.PayFiPError, match="P5.*non connu"):
        await asyncio.to_thread(client.get_info_paiement, idop)
    info = await asyncio.to_thread(client.get_info_client, NUMCLI)
    assert info.numcli == NUMCLI


def test_nothing_imports_the_tipi_backend():
    """In a fresh interpreter: the provider and eopayment load without the legacy backend."""
    code = (
        "import sys, billing.providers.payfip, eopayment, eopayment.payfip_ws; "
        "assert 'eopayment.tipi' not in sys.modules, 'eopayment.tipi was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
