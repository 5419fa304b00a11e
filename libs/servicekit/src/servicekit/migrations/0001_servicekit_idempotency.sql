-- depends: 0000_servicekit_outbox_inbox
-- Answers to requests that carried an Idempotency-Key, replayed for the same key
-- (servicekit.idempotency). Written in the transaction of the change they answer.

CREATE TABLE idempotent_requests (
    scope         text        NOT NULL,  -- who asked: user:<id>, or client:<address> before login
    method        text        NOT NULL,
    path          text        NOT NULL,
    key           text        NOT NULL,
    request_hash  text        NOT NULL,  -- the same key with another request is refused
    status        smallint    NOT NULL,
    body          jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (scope, method, path, key)
);

-- The purge deletes by expiry.
CREATE INDEX idempotent_requests_expiry ON idempotent_requests (expires_at);
