"""Billing's PDFs (invoices, credit notes, QF cards, tax attestations) printed by WeasyPrint out
of the service's event loop.

WeasyPrint is synchronous and CPU-bound (tens to hundreds of milliseconds a page) and holds
the GIL for most of it: printed in a thread of the service's own process, every request the
process serves meanwhile waits — for the whole PDF phase of the monthly run, 10,000 documents.
:class:`PdfPrinter` prints in ``workers`` processes of their own instead (``BILLING_PDF_WORKERS``,
1 by default; 0 prints in a thread, as before): started with ``spawn`` (nothing of the
service's sockets, pools or threads is inherited) on the first document, each replaced after
:data:`TASKS_PER_WORKER` documents (what WeasyPrint caches grows with what it prints), all
stopped with the service. A worker that dies (killed, out of memory) costs its document one
retry on a new set of workers. ``concurrency`` tells callers how many documents to have
printing at once.

This module imports nothing heavy: the workers import it, and WeasyPrint (with Pango) is loaded
by the first document each prints.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

TASKS_PER_WORKER = 500


def write_pdf(html: str) -> bytes:
    """The PDF of an HTML document (run in a worker: a module-level function, picklable)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


class PdfPrinter:
    def __init__(self, workers: int = 0):
        if workers < 0:
            raise ValueError("workers: 0 (a thread) or more processes")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    @property
    def concurrency(self) -> int:
        """How many documents are worth printing at once."""
        return max(1, self.workers)

    async def __call__(self, html: str) -> bytes:
        if not self.workers:
            return await asyncio.to_thread(write_pdf, html)
        try:
            return await self._in_worker(html)
        except BrokenProcessPool:  # a worker died: once more, on new workers
            return await self._in_worker(html)

    async def _in_worker(self, html: str) -> bytes:
        pool = self._pool
        if pool is None:
            pool = self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"), max_tasks_per_child=TASKS_PER_WORKER
            )
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, write_pdf, html)
        except BrokenProcessPool:
            if self._pool is pool:
                self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    async def close(self) -> None:
        """Stop the workers (a document being printed is finished first)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
