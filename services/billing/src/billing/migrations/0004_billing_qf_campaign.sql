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

-- accounts' children (the copy 0003 made for invoice lines): the tax attestation counts the
-- children under 6 on 1 January, so billing needs their birth dates too.
ALTER TABLE children ADD COLUMN last_name text, ADD COLUMN birth_date date;
CREATE INDEX children_dossier ON children (dossier_id);

-- Tax attestations (« attestation fiscale »): asked by the parent for a past year, approved by
-- staff; the PDF is made once at approval and kept (a re-download gives the same bytes).
CREATE TABLE attestation_requests (
    id            uuid PRIMARY KEY,
    dossier_id    uuid NOT NULL,
    year          int NOT NULL,
    state         text NOT NULL CHECK (state IN ('pending', 'approved')),
    requested_at  timestamptz NOT NULL,
    requested_by  uuid,
    approved_at   timestamptz,
    approved_by   uuid,
    total_cents   bigint CHECK (total_cents >= 0),
    pdf           bytea
);
-- One request per family and year: asking again while one is pending (or done) changes nothing.
CREATE UNIQUE INDEX attestation_requests_one_per_year ON attestation_requests (dossier_id, year);
CREATE INDEX attestation_requests_pending ON attestation_requests (requested_at) WHERE state = 'pending';
