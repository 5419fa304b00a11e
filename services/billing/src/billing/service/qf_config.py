"""The QF proofs' settings as the use cases see them (built from BillingSettings by web.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..domain.attestation import DEFAULT_MEAL_CODES
from ..domain.qf import DEFAULT_PROOF_RETENTION_DAYS

DEFAULT_PROOF_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class QfConfig:
    # Where proofs are written, outside anything a web server serves (docs/billing.md).
    uploads_dir: Path = Path("var/billing-uploads")
    proof_max_bytes: int = DEFAULT_PROOF_MAX_BYTES
    # A command run on each stored proof, with the file's path as last argument (e.g.
    # "clamdscan --no-summary --fdpass"): exit 0 clean, 1 infected, anything else: failure.
    virus_scan_command: str = ""
    virus_scan_timeout_seconds: float = 60.0
    # A reviewed proof's file is deleted this many days after the decision (service/qf_retention.py).
    proof_retention_days: int = DEFAULT_PROOF_RETENTION_DAYS
    # planning's activity codes that are meals (left out of tax attestations; domain/attestation.py).
    meal_activity_codes: tuple[str, ...] = DEFAULT_MEAL_CODES
    # Printed on the QF card and the tax attestation.
    town_name: str = "Puiseux-en-France"
