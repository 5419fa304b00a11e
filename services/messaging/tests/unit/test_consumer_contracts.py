"""Each consumer's narrow model against its producer's committed JSON Schema (docs/events/).

A field a consumer reads that the producer does not send, one it requires that the producer
may leave out, or a type the producer's value may not have, fails here — before any event
is dead-lettered in production.

planning and billing are writing their events.py while these consumers are written from
docs/saga.md: a consumer of a producer that is not registered in the root pyproject.toml
yet, and whose schema is therefore absent, is skipped (and says so). Once the producer is
registered, a missing schema fails like any mismatch.
"""

from __future__ import annotations

import pytest
from messaging.consumers import HANDLERS
from servicekit.catalogue import CATALOGUE_DIR, find_root, producer_schema, producers
from servicekit.contracts import assert_consumer_compatible, consumer_contract_problems

ROOT = find_root()
VERSION = 1


@pytest.mark.parametrize("event_type", sorted(HANDLERS))
def test_the_consumer_reads_only_what_the_producer_sends(event_type):
    model, _ = HANDLERS[event_type]
    producer = event_type.split(".")[0]
    if not (ROOT / CATALOGUE_DIR / f"{event_type}.v{VERSION}.json").is_file():
        assert producer not in producers(ROOT), f"{producer} is a registered producer but declares no {event_type}"
        pytest.skip(f"{producer} does not publish {event_type} in the catalogue yet (docs/saga.md is the contract)")
    assert_consumer_compatible(model, producer_schema(event_type, VERSION, ROOT))


def test_the_check_catches_a_field_the_producer_does_not_send():
    """The contract test above is not vacuous: reading an unsent field is reported."""
    from messaging.consumers import Narrow

    class ReadsTooMuch(Narrow):
        user_id: str
        favourite_colour: str

    problems = consumer_contract_problems(ReadsTooMuch, producer_schema("accounts.user.deactivated", 1, ROOT))
    assert any("favourite_colour" in p for p in problems)
