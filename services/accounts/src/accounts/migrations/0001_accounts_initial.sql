-- depends: 0000_servicekit_outbox_inbox
-- Users, the town's family dossiers (adults, children) and the terms of use.

CREATE TABLE town (
    id          smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    name        text NOT NULL,
    insee_code  text
);

CREATE TABLE dossiers (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number             text NOT NULL UNIQUE,
    family_name        text NOT NULL,
    -- upper case, no accents, single spaces: what registration matches against
    family_name_key    text NOT NULL,
    address_line1      text,
    address_line2      text,
    postal_code        text,
    city               text,
    invoices_by_email  boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE adults (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    dossier_id   uuid NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    position     smallint NOT NULL DEFAULT 1,
    last_name    text NOT NULL,
    first_name   text NOT NULL,
    email        text,
    phone_mobile text,
    phone_home   text,
    phone_work   text
);
CREATE INDEX adults_dossier ON adults (dossier_id);

CREATE TABLE children (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    dossier_id  uuid NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    birth_date  date NOT NULL,
    school      text,
    level       text
);
CREATE INDEX children_dossier ON children (dossier_id);

CREATE TABLE users (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username        text NOT NULL,
    email           text NOT NULL,
    last_name       text NOT NULL,
    first_name      text NOT NULL,
    password_hash   text NOT NULL,
    status          text NOT NULL DEFAULT 'pending_activation'
                    CHECK (status IN ('pending_activation', 'active', 'disabled')),
    roles           text[] NOT NULL DEFAULT '{}',
    dossier_id      uuid REFERENCES dossiers (id),
    mobile_display  boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    activated_at    timestamptz
);
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE INDEX users_dossier ON users (dossier_id);

CREATE TABLE terms (
    version       text PRIMARY KEY,
    text          text NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now()
);
