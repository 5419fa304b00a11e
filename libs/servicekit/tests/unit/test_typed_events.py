"""Events are code: classes carrying their type and version, the catalogue, contract checks."""

from __future__ import annotations

import json
import sys
import textwrap
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict
from servicekit import catalogue
from servicekit.contracts import assert_consumer_compatible, consumer_contract_problems
from servicekit.events import EventData, IntegrationEvent, event_types, make_envelope


class Place(EventData):
    city: str | None
    postal_code: str


class SeatBooked(IntegrationEvent):
    """A seat was booked."""

    type = "demo.seat.booked"
    version = 2

    booking_id: uuid.UUID
    day: date
    seats: int
    place: Place
    tags: list[str]
    at: datetime


def test_an_event_carries_its_type_and_version_into_the_envelope():
    event = SeatBooked(
        booking_id=uuid.uuid4(),
        day=date(2026, 5, 4),
        seats=2,
        place=Place(city=None, postal_code="95380"),
        tags=["a"],
        at=datetime(2026, 5, 1, 9, 0).astimezone(),
    )
    envelope = make_envelope(event, source="demo")
    assert (envelope.type, envelope.version, envelope.source) == ("demo.seat.booked", 2, "demo")
    assert envelope.data["place"] == {"city": None, "postal_code": "95380"}
    with pytest.raises(TypeError):
        make_envelope(event, {"other": 1}, source="demo")


def test_the_transitional_form_still_works():
    envelope = make_envelope("demo.seat.booked", {"seats": 1}, source="demo", version=3)
    assert (envelope.type, envelope.version, envelope.data) == ("demo.seat.booked", 3, {"seats": 1})


def test_events_are_frozen_and_forbid_unknown_fields():
    with pytest.raises(ValueError):
        Place(city="Puiseux", postal_code="95380", country="FR")


def test_a_malformed_type_or_version_is_refused_at_import():
    with pytest.raises(TypeError):

        class Bad(IntegrationEvent):
            type = "NotDotted"

    with pytest.raises(TypeError):

        class Bad2(IntegrationEvent):
            type = "demo.seat.moved"
            version = 0


def test_the_registry_refuses_duplicates_and_untyped_classes():
    class Again(SeatBooked):
        pass

    with pytest.raises(TypeError, match="no type of its own"):
        event_types(Again)

    class Same(IntegrationEvent):
        type = "demo.seat.booked"
        version = 2

    with pytest.raises(TypeError, match="declared by"):
        event_types(SeatBooked, Same)
    assert event_types(SeatBooked) == {("demo.seat.booked", 2): SeatBooked}


# --- the catalogue ------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, monkeypatch):
    """A repository with one producer module, importable as ``demo_events``."""
    (tmp_path / "pyproject.toml").write_text('[tool.portail.events]\nproducers = { demo = "demo_events" }\n')
    (tmp_path / "docs" / "events").mkdir(parents=True)
    (tmp_path / "docs" / "events" / "TEMPLATE.md").write_text("# Events\n\nIntro kept.\n\n{{catalogue}}\n")
    (tmp_path / "demo_events.py").write_text(
        textwrap.dedent(
            '''
            from pydantic import Field
            from servicekit.events import IntegrationEvent

            class Opened(IntegrationEvent):
                """A door opened. planning reads it."""
                type = "demo.door.opened"
                door: str = Field(description="Which door")

            EVENTS = (Opened,)
            '''
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "demo_events", raising=False)
    return tmp_path


def test_catalogue_write_then_check(repo: Path):
    assert catalogue.check(repo) == ["missing: docs/events/demo.door.opened.v1.json", "missing: docs/events.md"]
    catalogue.write(repo)
    assert catalogue.check(repo) == []
    schema = json.loads((repo / "docs/events/demo.door.opened.v1.json").read_text())
    assert schema["x-event-type"] == "demo.door.opened" and schema["x-producer"] == "demo"
    assert schema["required"] == ["door"]
    index = (repo / "docs/events.md").read_text()
    assert "Intro kept." in index
    assert "### `demo.door.opened` (v1)" in index
    assert "| `door` | string | yes | Which door |" in index
    assert "A door opened. planning reads it." in index


def test_catalogue_check_sees_a_change_in_the_code_and_a_stale_schema(repo: Path):
    catalogue.write(repo)
    (repo / "docs/events/demo.door.closed.v1.json").write_text("{}")
    source = (repo / "demo_events.py").read_text()
    (repo / "demo_events.py").write_text(source.replace('description="Which door"', 'description="The door"'))
    sys.modules.pop("demo_events", None)
    assert catalogue.check(repo) == [
        "out of date: docs/events/demo.door.opened.v1.json",
        "out of date: docs/events.md",
        "no longer produced: docs/events/demo.door.closed.v1.json",
    ]
    assert catalogue.main(["check", "--root", str(repo)]) == 1
    catalogue.write(repo)
    assert catalogue.main(["check", "--root", str(repo)]) == 0


def test_the_committed_catalogue_matches_the_code():
    root = catalogue.find_root(Path(__file__).parent)
    assert catalogue.check(root) == [], "run: .venv/bin/python -m servicekit.catalogue write"


# --- consumer contracts -------------------------------------------------------------------

PRODUCER = catalogue.schema_of(SeatBooked, "demo")


class Narrow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    booking_id: uuid.UUID
    seats: float  # an integer always fits a number
    day: date | None = None


def test_a_narrow_consumer_that_reads_what_is_sent_passes():
    assert consumer_contract_problems(Narrow, PRODUCER) == []
    assert_consumer_compatible(Narrow, PRODUCER)


class PlaceIn(BaseModel):
    city: str
    region: str | None = None


class Greedy(BaseModel):
    model_config = ConfigDict(extra="ignore")

    booking_id: int
    day: datetime
    seats: int
    place: PlaceIn
    tags: list[int]
    cancelled: bool = False


def test_a_consumer_reading_what_is_not_sent_or_typed_otherwise_fails():
    problems = consumer_contract_problems(Greedy, PRODUCER)
    assert problems == [
        "booking_id: the producer may send string (uuid), the consumer expects integer",
        "day: the producer may send string (date), the consumer expects string (date-time)",
        "place.city: the producer may send null, the consumer expects string",
        "place.region: read by the consumer, not sent by the producer",
        "tags[]: the producer may send string, the consumer expects integer",
        "cancelled: read by the consumer, not sent by the producer",
    ]
    with pytest.raises(AssertionError, match="Greedy does not fit demo.seat.booked"):
        assert_consumer_compatible(Greedy, PRODUCER)
