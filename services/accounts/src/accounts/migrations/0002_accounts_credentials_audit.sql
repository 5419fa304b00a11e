-- depends: 0001_accounts_initial
-- Credentials and sessions, link tokens, throttling, idempotency, terms acceptances and
-- the audit trail of family files.

-- Staff accounts are created without a password: their holder chooses it on activation.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE users
    ADD COLUMN updated_at          timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN disabled_at         timestamptz,
    ADD COLUMN password_changed_at timestamptz,
    ADD CONSTRAINT users_username_format CHECK (username ~ '^[a-z0-9._-]{3,40}$'),
    ADD CONSTRAINT users_active_has_password CHECK (status <> 'active' OR password_hash IS NOT NULL);
CREATE INDEX users_email ON users (lower(email));
CREATE INDEX users_pending ON users (created_at) WHERE status = 'pending_activation';
-- One active account per family file (several guardians per family will relax this).
CREATE UNIQUE INDEX users_one_active_per_dossier ON users (dossier_id)
    WHERE status = 'active' AND dossier_id IS NOT NULL;

CREATE TABLE terms_acceptances (
    id             bigserial PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    terms_version  text NOT NULL REFERENCES terms (version),
    accepted_at    timestamptz NOT NULL
);
CREATE INDEX terms_acceptances_user ON terms_acceptances (user_id);

-- Single-use links; only the SHA-256 of the token is kept.
CREATE TABLE user_tokens (
    token_hash  text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('activation', 'password_reset', 'email_change')),
    new_email   text,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    CHECK ((purpose = 'email_change') = (new_email IS NOT NULL))
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

CREATE TABLE sessions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash    text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Failed guesses (dossier references, passwords) and reset requests, counted per window.
CREATE TABLE attempts (
    id    bigserial PRIMARY KEY,
    kind  text NOT NULL,
    key   text NOT NULL,
    at    timestamptz NOT NULL
);
CREATE INDEX attempts_lookup ON attempts (kind, key, at DESC);
CREATE INDEX attempts_at ON attempts (at);

CREATE TABLE idempotency_keys (
    scope            text NOT NULL,
    key              text NOT NULL,
    request_hash     text NOT NULL,
    response_status  smallint NOT NULL,
    response_body    jsonb NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    -- no foreign key: the trail outlives the accounts it mentions
    actor_id    uuid,
    actor_kind  text NOT NULL CHECK (actor_kind IN ('parent', 'staff', 'system')),
    dossier_id  uuid,
    entity      text NOT NULL,
    entity_id   uuid NOT NULL,
    action      text NOT NULL,
    before      jsonb NOT NULL DEFAULT '{}',
    after       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_dossier ON audit_log (dossier_id, id DESC) WHERE dossier_id IS NOT NULL;
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id DESC);
