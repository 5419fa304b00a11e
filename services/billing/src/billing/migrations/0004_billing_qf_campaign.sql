-- depends: 0002_billing_prices_and_payments
-- The February QF campaign: parents' proofs (files on disk, see docs/billing.md), the
-- campaigns staff open, and when each family was last reminded.

CREATE TABLE qf_proofs (
    id            uuid PRIMARY KEY,
    dossier_id    uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('avis_imposition', 'attestation_caf')),
    year          int NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes    int NOT NULL CHECK (size_bytes > 0),
    sha256        text NOT NULL,
    -- The file's name under BILLING_UPLOADS_DIR: the proof's id, never the parent's file name.
    stored_name   text NOT NULL UNIQUE,
    state         text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    reject_reason text,
    qf_id         uuid REFERENCES qf_values (id),
    uploaded_by   uuid,
    uploaded_at   timestamptz NOT NULL,
    decided_by    uuid,
    decided_at    timestamptz
);
CREATE INDEX qf_proofs_dossier ON qf_proofs (dossier_id, uploaded_at DESC);
CREATE INDEX qf_proofs_state ON qf_proofs (state, uploaded_at);

CREATE TABLE qf_campaigns (
    year        int PRIMARY KEY,
    ends_on     date NOT NULL,
    opened_at   timestamptz NOT NULL,
    opened_by   uuid
);

-- At most one reminder a week per family and campaign: the row is updated only when the
-- last one is a week old (one UPDATE ... WHERE, so two job runs cannot both send).
CREATE TABLE qf_campaign_reminders (
    year        int NOT NULL REFERENCES qf_campaigns (year),
    dossier_id  uuid NOT NULL,
    last_sent_at timestamptz NOT NULL,
    sent_count  int NOT NULL DEFAULT 1,
    PRIMARY KEY (year, dossier_id)
);
