"""Bench: what printing billing's PDFs costs the service's own requests — its event loop's lag
while ``--documents`` invoices are printed by ``billing.pdf.PdfPrinter`` in a thread (0 workers,
the old way) and in 1 and 2 worker processes, beside the same loop with nothing printing
(the baseline, same run).

    .venv/bin/python bench/pdf_printer.py                  # 60 documents each
    .venv/bin/python bench/pdf_printer.py --documents 200

The lag is how late a 10 ms ``asyncio.sleep`` wakes up, sampled for the whole print: what a
request arriving meanwhile waits before the service even looks at it. Prints PDF/s and the
lag's median, 99th percentile and maximum for each; no database needed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, date, datetime

from billing.domain.invoicing import InvoiceLine
from billing.domain.money import Money
from billing.pdf import PdfPrinter
from billing.service import invoice_pdf

TICK = 0.010


def document() -> str:
    row = {"family": {"name": "LE DERF", "number": "404",
                      "address": {"line1": "12 rue des Tilleuls", "postal_code": "95380", "city": "Puiseux-en-France"}},
           "kind": "invoice", "number": "2026-000042", "issued_at": datetime.now(UTC), "month": date(2026, 11, 1),
           "due_on": date(2026, 12, 31), "total_cents": 2244, "reason": None}  # fmt: skip
    lines = [InvoiceLine(date(2026, 11, d), "Arthur", "2026/2027 - Cantine (présence sans réservation)", Money(374))
             for d in (2, 3, 5, 6, 9, 10)]  # fmt: skip
    town = invoice_pdf.Town("Mairie de Puiseux-en-France", ("Place de la Mairie", "95380 Puiseux-en-France"))
    return invoice_pdf.render_html(invoice_pdf.context(row, lines, town))


async def lag_while(work) -> tuple[float, list[float]]:
    """(seconds ``work`` took, the loop's lags in ms meanwhile)."""
    lags: list[float] = []
    done = asyncio.Event()

    async def probe():
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            lags.append((time.perf_counter() - before - TICK) * 1000)

    task = asyncio.create_task(probe())
    started = time.perf_counter()
    await work()
    seconds = time.perf_counter() - started
    done.set()
    await task
    return seconds, lags


def figures(name: str, seconds: float, lags: list[float], documents: int | None) -> str:
    rate = f"{documents / seconds:6.1f} PDF/s" if documents else " " * 12
    p99 = statistics.quantiles(lags, n=100)[98] if len(lags) >= 2 else lags[0]
    return (f"{name:24} {rate}  loop lag p50 {statistics.median(lags):6.2f} ms  p99 {p99:7.2f} ms"
            f"  max {max(lags):7.2f} ms")  # fmt: skip


async def main(args) -> None:
    html = document()
    seconds, lags = await lag_while(lambda: asyncio.sleep(3))
    print(figures("nothing printing", seconds, lags, None))
    for workers in (0, 1, 2):
        printer = PdfPrinter(workers)
        try:
            await asyncio.gather(*(printer(html) for _ in range(printer.concurrency)))  # start, load WeasyPrint
            seconds, lags = await lag_while(lambda p=printer: print_all(p, html, args.documents))
        finally:
            await printer.close()
        name = "in a thread (0 workers)" if workers == 0 else f"{workers} worker process{'es' if workers > 1 else ''}"
        print(figures(name, seconds, lags, args.documents))


async def print_all(printer: PdfPrinter, html: str, documents: int) -> None:
    """``documents`` prints, as many at once as the printer has workers (as the run's PDF phase)."""
    slots = asyncio.Semaphore(printer.concurrency)

    async def one():
        async with slots:
            await printer(html)

    await asyncio.gather(*(one() for _ in range(documents)))

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=60)
    asyncio.run(main(parser.parse_args()))
