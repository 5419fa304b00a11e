"""Billing's narrow readings of other services' events match what their producers send."""

from __future__ import annotations

from billing.service.copies import DossierUpdated
from servicekit.catalogue import producer_schema
from servicekit.contracts import assert_consumer_compatible


def test_the_family_copy_reads_what_accounts_sends():
    assert_consumer_compatible(DossierUpdated, producer_schema("accounts.dossier.updated", 1))
