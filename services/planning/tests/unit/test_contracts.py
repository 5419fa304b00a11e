"""planning's narrow models read only what the producers' committed schemas promise."""

from __future__ import annotations

import pytest
from planning.consumers import ChildIn
from servicekit.catalogue import producer_schema
from servicekit.contracts import assert_consumer_compatible


@pytest.mark.parametrize("event_type", ["accounts.child.added", "accounts.child.updated"])
def test_the_children_copy_reads_what_accounts_sends(event_type):
    assert_consumer_compatible(ChildIn, producer_schema(event_type, 1))
