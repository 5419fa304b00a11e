-- depends: 0000_servicekit_outbox_inbox
-- The family ledger's first brick: the local copy of the families billing invoices.
-- Fed by accounts' events; billing never reads the accounts database.

CREATE TABLE families (
    dossier_id         uuid PRIMARY KEY,
    dossier_number     text NOT NULL,
    family_name        text NOT NULL,
    invoices_by_email  boolean NOT NULL DEFAULT false,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
