-- depends: 0002_billing_prices_and_payments
-- Monthly invoices and credit notes, the charges staff add, the invoicing runs, and what the
-- invoice PDF needs of other services' data (the family's address, the children's names).

ALTER TABLE families ADD COLUMN address jsonb;

-- accounts.child.added / accounts.child.updated: the first name printed on invoice lines.
CREATE TABLE children (
    child_id    uuid PRIMARY KEY,
    dossier_id  uuid NOT NULL,
    first_name  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Fees staff add (late pick-up…), invoiced with the month of their date; once invoiced,
-- invoice_id says where (a charge is invoiced once).
CREATE TABLE invoice_charges (
    id            uuid PRIMARY KEY,
    dossier_id    uuid NOT NULL,
    day           date NOT NULL,
    label         text NOT NULL,
    amount_cents  bigint NOT NULL CHECK (amount_cents > 0),
    created_at    timestamptz NOT NULL,
    created_by    uuid,
    invoice_id    uuid
);
CREATE INDEX invoice_charges_open ON invoice_charges (dossier_id, day) WHERE invoice_id IS NULL;

-- A family's month of attendance, read once per family by the run (the key is per child).
CREATE INDEX attendance_records_dossier ON attendance_records (dossier_id, day);

-- One row per (series, year): the last number given. Taken FOR UPDATE in the transaction that
-- issues the document, so numbers have no gap (a rolled-back issue gives its number back) and
-- no duplicate.
CREATE TABLE document_counters (
    series  text NOT NULL CHECK (series IN ('invoice', 'credit_note')),
    year    int NOT NULL,
    last    int NOT NULL CHECK (last >= 0),
    PRIMARY KEY (series, year)
);

-- Invoices and credit notes: never updated once issued, except to store the PDF rendered
-- right after (pdf IS NULL only between the two transactions).
CREATE TABLE invoices (
    id                 uuid PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    number             text NOT NULL UNIQUE,
    dossier_id         uuid NOT NULL,
    month              date,
    credited_invoice   uuid REFERENCES invoices (id),
    reason             text,
    issued_at          timestamptz NOT NULL,
    due_on             date,
    total_cents        bigint NOT NULL CHECK (total_cents > 0),
    family             jsonb NOT NULL,
    run_id             uuid,
    pdf                bytea,
    pdf_sha256         text,
    CHECK ((kind = 'invoice') = (month IS NOT NULL)),
    CHECK ((kind = 'credit_note') = (credited_invoice IS NOT NULL))
);
-- One invoice per family and month, whatever runs at once.
CREATE UNIQUE INDEX invoices_one_per_month ON invoices (dossier_id, month) WHERE kind = 'invoice';
CREATE INDEX invoices_dossier ON invoices (dossier_id, issued_at DESC);
CREATE INDEX invoices_without_pdf ON invoices (issued_at) WHERE pdf IS NULL;

CREATE TABLE invoice_lines (
    invoice_id        uuid NOT NULL REFERENCES invoices (id),
    position          int NOT NULL,
    day               date NOT NULL,
    child_name        text NOT NULL,
    label             text NOT NULL,
    unit_price_cents  bigint NOT NULL,
    quantity          int NOT NULL,
    amount_cents      bigint NOT NULL,
    PRIMARY KEY (invoice_id, position)
);

CREATE TABLE invoicing_runs (
    id              uuid PRIMARY KEY,
    month           date NOT NULL,
    trigger         text NOT NULL CHECK (trigger IN ('staff', 'schedule')),
    status          text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    families_total  int NOT NULL DEFAULT 0,
    families_done   int NOT NULL DEFAULT 0,
    invoices        int NOT NULL DEFAULT 0,
    total_cents     bigint NOT NULL DEFAULT 0,
    errors          int NOT NULL DEFAULT 0,
    started_by      uuid,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz
);
-- The schedule starts one run per month (a staff run may come on top: numbering stays right).
CREATE UNIQUE INDEX invoicing_runs_scheduled ON invoicing_runs (month) WHERE trigger = 'schedule';
