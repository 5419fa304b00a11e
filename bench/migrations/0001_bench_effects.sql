-- depends: 0000_servicekit_outbox_inbox
-- The effect an event has on the consuming side of the benchmark: one row per event.

CREATE TABLE bench_effects (
    event_id   uuid PRIMARY KEY,
    n          integer NOT NULL,
    data       jsonb   NOT NULL
);
