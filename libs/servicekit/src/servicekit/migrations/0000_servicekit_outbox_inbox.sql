-- Plumbing shared by every service: the transactional outbox and the consumer inbox.

CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    event_type      text        NOT NULL,
    envelope        jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text
);

-- The relay only ever looks at what is still to publish.
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE published_at IS NULL;

CREATE TABLE inbox (
    event_id    uuid PRIMARY KEY,
    event_type  text        NOT NULL,
    handled_at  timestamptz NOT NULL DEFAULT now()
);
