-- depends: 0003_messaging_shared_idempotency
-- What the booking and payment e-mails name, copied from the producers' events: a child's
-- first name (accounts.child.*), an activity's display name (planning.activity.*), and the
-- amount and reference of a payment (billing.payment.succeeded) for the booking
-- confirmation that follows it. Each row carries the time of the event it comes from.

CREATE TABLE children (
    child_id    uuid PRIMARY KEY,
    dossier_id  uuid NOT NULL,
    first_name  text NOT NULL,
    as_of       timestamptz NOT NULL
);

CREATE TABLE activities (
    activity_id uuid PRIMARY KEY,
    name        text NOT NULL,
    as_of       timestamptz NOT NULL
);

CREATE TABLE payments (
    payment_id        uuid PRIMARY KEY,
    dossier_id        uuid NOT NULL,
    amount_cents      bigint NOT NULL CHECK (amount_cents >= 0),
    credit_used_cents bigint NOT NULL CHECK (credit_used_cents >= 0),
    reference         text NOT NULL,
    paid_at           timestamptz NOT NULL
);
