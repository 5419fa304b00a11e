"""Read-only queries for pages, staff lists and exports (no domain rule here)."""

from .account import history_rows, payment_with_lines
from .staff import ledger_export_rows, payment_export_rows, staff_payment_rows, tariff_rows

__all__ = [
    "history_rows",
    "ledger_export_rows",
    "payment_export_rows",
    "payment_with_lines",
    "staff_payment_rows",
    "tariff_rows",
]
