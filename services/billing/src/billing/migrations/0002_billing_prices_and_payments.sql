-- depends: 0001_billing_initial 0001_servicekit_idempotency
-- Prices (activities copy, tariff grids, QFs), payments, the family ledger and credits,
-- and the simulated Treasury's operations. Every amount is integer cents (bigint).

-- The contact e-mail receipts go to (the file's first adult with one), from accounts' events.
ALTER TABLE families ADD COLUMN contact_email text;

-- One row per family billing has money for: the row every credit-spending transaction
-- locks (SELECT ... FOR UPDATE), so two payments can never spend the same credit. It exists
-- before accounts' copy may have arrived, hence apart from `families`.
CREATE TABLE family_accounts (
    dossier_id  uuid PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- planning's activities, from planning.activity.created/updated.
CREATE TABLE activities (
    id            uuid PRIMARY KEY,
    school_year   text NOT NULL,
    code          text NOT NULL,
    name          text NOT NULL,
    display_name  text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tariff_grids (
    activity_id  uuid NOT NULL REFERENCES activities (id),
    school_year  text NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   uuid,
    PRIMARY KEY (activity_id, school_year)
);

CREATE TABLE tariff_brackets (
    activity_id       uuid NOT NULL,
    school_year       text NOT NULL,
    position          int NOT NULL,
    qf_max            int,
    unit_price_cents  bigint NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (activity_id, school_year, position),
    FOREIGN KEY (activity_id, school_year) REFERENCES tariff_grids ON DELETE CASCADE
);

CREATE TABLE qf_values (
    id           uuid PRIMARY KEY,
    dossier_id   uuid NOT NULL,
    value        int NOT NULL CHECK (value >= 0),
    valid_from   date NOT NULL,
    valid_to     date NOT NULL CHECK (valid_to >= valid_from),
    proof        text NOT NULL CHECK (proof IN ('avis_imposition', 'attestation_caf')),
    state        text NOT NULL CHECK (state IN ('pending', 'validated', 'rejected')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid,
    decided_at   timestamptz,
    decided_by   uuid
);
CREATE INDEX qf_values_dossier ON qf_values (dossier_id, valid_from);

CREATE TABLE payments (
    id                 uuid PRIMARY KEY,
    dossier_id         uuid NOT NULL,
    purpose            text NOT NULL CHECK (purpose IN ('basket', 'invoice')),
    basket_id          uuid,
    checkout_id        uuid UNIQUE,
    invoice_id         uuid,
    amount_cents       bigint NOT NULL CHECK (amount_cents >= 0),
    credit_used_cents  bigint NOT NULL CHECK (credit_used_cents >= 0),
    refdet             text NOT NULL UNIQUE,
    provider           text NOT NULL,
    state              text NOT NULL CHECK (state IN ('created', 'pending', 'succeeded', 'failed', 'expired')),
    outcome            text CHECK (outcome IN ('applied', 'credited')),
    operation_id       text,
    payment_url        text,
    return_url         text,
    failure_reason     text,
    basket_expires_at  timestamptz,
    created_at         timestamptz NOT NULL,
    started_at         timestamptz,
    settled_at         timestamptz,
    UNIQUE (provider, operation_id)
);
CREATE INDEX payments_dossier ON payments (dossier_id, created_at DESC);
CREATE INDEX payments_open ON payments (created_at) WHERE state IN ('created', 'pending');
CREATE INDEX payments_expired ON payments (settled_at) WHERE state = 'expired';

CREATE TABLE payment_lines (
    payment_id    uuid NOT NULL REFERENCES payments (id),
    position      int NOT NULL,
    child_id      uuid NOT NULL,
    activity_id   uuid NOT NULL,
    day           date NOT NULL,
    label         text NOT NULL,
    amount_cents  bigint NOT NULL CHECK (amount_cents >= 0),
    PRIMARY KEY (payment_id, position)
);

-- Days planning confirmed, with what was paid for each: a removal is quoted at minus that
-- amount and planning.reservation.cancelled credits it (once: cancelled_at).
CREATE TABLE booked_days (
    reservation_id  uuid PRIMARY KEY,
    dossier_id      uuid NOT NULL,
    payment_id      uuid NOT NULL REFERENCES payments (id),
    child_id        uuid NOT NULL,
    activity_id     uuid NOT NULL,
    day             date NOT NULL,
    label           text NOT NULL,
    amount_cents    bigint NOT NULL CHECK (amount_cents >= 0),
    confirmed_at    timestamptz NOT NULL,
    cancelled_at    timestamptz
);
CREATE UNIQUE INDEX booked_days_active ON booked_days (dossier_id, child_id, activity_id, day)
    WHERE cancelled_at IS NULL;

CREATE TABLE credits (
    id              uuid PRIMARY KEY,
    dossier_id      uuid NOT NULL,
    amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
    reason          text NOT NULL CHECK (reason IN ('cancellation', 'late_payment', 'staff')),
    label           text NOT NULL,
    payment_id      uuid,
    reservation_id  uuid UNIQUE,
    granted_by      uuid,
    created_at      timestamptz NOT NULL
);
-- A late payment becomes one credit, whatever repeats.
CREATE UNIQUE INDEX credits_late_payment ON credits (payment_id) WHERE reason = 'late_payment';

CREATE TABLE ledger_entries (
    seq            bigserial PRIMARY KEY,
    id             uuid NOT NULL UNIQUE,
    dossier_id     uuid NOT NULL,
    kind           text NOT NULL CHECK (kind IN
                       ('invoice', 'purchase', 'payment', 'credit', 'credit_use', 'credit_release', 'refund')),
    amount_cents   bigint NOT NULL CHECK (amount_cents > 0),
    occurred_at    timestamptz NOT NULL,
    label          text NOT NULL,
    reference      text,
    credit_reason  text,
    invoice_id     uuid,
    payment_id     uuid,
    credit_id      uuid,
    recorded_by    uuid
);
CREATE INDEX ledger_entries_dossier ON ledger_entries (dossier_id, occurred_at DESC, seq DESC);

-- planning.attendance.recorded, kept for the monthly invoices (next billing issue).
CREATE TABLE attendance_records (
    child_id     uuid NOT NULL,
    activity_id  uuid NOT NULL,
    day          date NOT NULL,
    dossier_id   uuid NOT NULL,
    status       text NOT NULL CHECK (status IN ('present', 'absent')),
    booked       boolean NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (child_id, activity_id, day)
);

-- The simulated Treasury (development): its operations, as PayFiP keeps its idOp.
CREATE TABLE simulated_operations (
    idop          text PRIMARY KEY,
    payment_id    uuid NOT NULL,
    refdet        text NOT NULL,
    amount_cents  bigint NOT NULL CHECK (amount_cents > 0),
    email         text,
    state         text NOT NULL CHECK (state IN ('pending', 'paid', 'refused')),
    return_url    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz
);
