-- depends: 0001_messaging_initial
-- Threads between parents and the town's services, the local copy of contacts fed by the
-- accounts events, reply templates, and every outgoing e-mail with its delivery state.

ALTER TABLE themes
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- A narrow copy of accounts' users: where to write to, and whether we still may.
-- Two clocks (the occurred_at of the newest event applied to each part) so that an older
-- event redelivered late never overwrites a newer fact.
CREATE TABLE contacts (
    user_id           uuid PRIMARY KEY,
    email             text,
    first_name        text,
    last_name         text,
    dossier_id        uuid,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'active', 'inactive', 'purged')),
    profile_as_of     timestamptz NOT NULL DEFAULT '-infinity',
    status_as_of      timestamptz NOT NULL DEFAULT '-infinity'
);
CREATE INDEX contacts_dossier ON contacts (dossier_id) WHERE dossier_id IS NOT NULL;

-- What staff need to recognise a family in their inbox.
CREATE TABLE dossiers (
    dossier_id        uuid PRIMARY KEY,
    number            text NOT NULL,
    family_name       text NOT NULL,
    invoices_by_email boolean NOT NULL DEFAULT false,
    as_of             timestamptz NOT NULL
);

CREATE TABLE threads (
    id                  uuid PRIMARY KEY,
    theme_id            uuid NOT NULL REFERENCES themes (id),
    user_id             uuid NOT NULL,
    dossier_id          uuid,
    subject             text NOT NULL,
    state               text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_message_at     timestamptz NOT NULL DEFAULT now(),
    closed_at           timestamptz,
    closed_by           uuid,
    -- « Supprimer »: gone from the parent's box, kept in the town's records.
    hidden_by_parent_at timestamptz
);
CREATE INDEX threads_parent ON threads (user_id, last_message_at DESC, id DESC);
CREATE INDEX threads_theme ON threads (theme_id, last_message_at DESC, id DESC);

CREATE TABLE messages (
    id           uuid PRIMARY KEY,
    thread_id    uuid NOT NULL REFERENCES threads (id),
    author_kind  text NOT NULL CHECK (author_kind IN ('parent', 'staff')),
    author_id    uuid NOT NULL,
    body         text NOT NULL,
    template_id  uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- read by the other side: staff for a parent's message, the parent for a reply
    read_at      timestamptz
);
CREATE INDEX messages_thread ON messages (thread_id, created_at, id);
CREATE INDEX messages_unread ON messages (thread_id, author_kind) WHERE read_at IS NULL;

-- Kept in the database (bounded to a few MiB each): transactional with the message and
-- backed up with it. Object storage can replace the column later without an API change.
CREATE TABLE attachments (
    id            uuid PRIMARY KEY,
    message_id    uuid NOT NULL REFERENCES messages (id),
    thread_id     uuid NOT NULL REFERENCES threads (id),
    filename      text NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes    integer NOT NULL CHECK (size_bytes > 0),
    sha256        text NOT NULL,
    content       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_message ON attachments (message_id);

CREATE TABLE reply_templates (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title       text NOT NULL,
    body        text NOT NULL,
    theme_id    uuid REFERENCES themes (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every e-mail the suite sends. Written in the transaction of its cause (an event's inbox
-- row, a reply); delivered by the sender task. dedupe_key makes one cause one e-mail.
CREATE TABLE emails (
    id               uuid PRIMARY KEY,
    dedupe_key       text NOT NULL UNIQUE,
    kind             text NOT NULL,
    user_id          uuid,
    thread_id        uuid,
    to_address       text,
    to_name          text,
    subject          text NOT NULL,
    body_text        text,
    body_html        text,
    contains_secret  boolean NOT NULL DEFAULT false,
    message_id       text NOT NULL UNIQUE,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sent', 'bounced', 'suppressed', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    CHECK (state <> 'pending' OR (to_address IS NOT NULL AND body_text IS NOT NULL AND body_html IS NOT NULL))
);
-- The sender only ever looks at what is due.
CREATE INDEX emails_due ON emails (next_attempt_at, created_at) WHERE state = 'pending';
CREATE INDEX emails_log ON emails (created_at DESC, id DESC);
CREATE INDEX emails_user ON emails (user_id) WHERE user_id IS NOT NULL;

-- Addresses a receiving server refused for good (5xx): later e-mails to them are not
-- attempted (suppressed) until staff lift the address.
CREATE TABLE bounced_addresses (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    address           text NOT NULL UNIQUE,
    user_id           uuid,
    bounces           integer NOT NULL DEFAULT 1,
    first_bounced_at  timestamptz NOT NULL DEFAULT now(),
    last_bounced_at   timestamptz NOT NULL DEFAULT now(),
    last_error        text,
    last_email_id     uuid
);

-- Idempotency-Key of creation requests: the same key replays the first answer.
CREATE TABLE idempotency_keys (
    user_id       uuid NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    status        integer,
    response      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
