"""Billing's PDF printer (billing/pdf.py) with real WeasyPrint: documents printed in worker
processes of their own, several at once, a killed worker replaced, the workers stopped with it;
0 workers prints in a thread of this process."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal

from billing.pdf import PdfPrinter

from .test_invoices import pdf_text


def html(number: int) -> str:
    return f"<html lang='fr'><body><h1>Facture n° 2026-{number:06d}</h1><p>Montant : 3,74 €</p></body></html>"


def workers() -> list[multiprocessing.Process]:
    return [p for p in multiprocessing.active_children() if p.name.startswith("SpawnProcess")]


async def test_documents_are_printed_in_worker_processes_at_once_and_the_workers_stop_with_the_printer():
    printer = PdfPrinter(2)
    assert printer.concurrency == 2 and workers() == []
    try:
        pdfs = await asyncio.gather(*(printer(html(n)) for n in range(1, 5)))
        assert [pdf_text(pdf) for pdf in pdfs] == [f"Facture n° 2026-{n:06d} Montant : 3,74 €" for n in range(1, 5)]
        running = workers()
        assert len(running) == 2 and all(p.pid != os.getpid() for p in running)
    finally:
        await printer.close()
    assert workers() == []
    await printer.close()  # twice: nothing to stop


async def test_a_worker_that_dies_costs_its_document_one_retry():
    printer = PdfPrinter(1)
    try:
        assert "2026-000001" in pdf_text(await printer(html(1)))
        (worker,) = workers()
        os.kill(worker.pid, signal.SIGKILL)
        await asyncio.to_thread(worker.join, 10)
        assert "2026-000002" in pdf_text(await printer(html(2)))  # on a new worker
        (replacement,) = workers()
        assert replacement.pid != worker.pid
    finally:
        await printer.close()


async def test_no_worker_prints_in_a_thread_of_this_process():
    printer = PdfPrinter(0)
    assert printer.concurrency == 1
    assert "2026-000003" in pdf_text(await printer(html(3)))
    assert workers() == []
    await printer.close()
