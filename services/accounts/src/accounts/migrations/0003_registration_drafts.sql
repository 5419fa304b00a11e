-- depends: 0002_accounts_credentials_audit
-- The registration wizard's state between its steps, kept server-side. The gateway holds
-- only the draft's random id (in an HttpOnly cookie); this table stores its SHA-256.
-- The password is hashed (argon2id) as soon as step 1 is saved, never stored in clear.

CREATE TABLE registration_drafts (
    id_hash            text PRIMARY KEY,
    last_name          text,
    first_name         text,
    email              text,
    username           text,
    mobile_display     boolean NOT NULL DEFAULT false,
    password_hash      text,
    dossier_id         uuid REFERENCES dossiers (id) ON DELETE SET NULL,
    without_dossier    boolean NOT NULL DEFAULT false,
    terms_version      text,
    terms_accepted_at  timestamptz,
    created_at         timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL
);
CREATE INDEX registration_drafts_expiry ON registration_drafts (expires_at);
