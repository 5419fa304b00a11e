-- depends: 0004_billing_qf_campaign
-- The invoicing run works in batches; the tax attestation counts invoice lines paid in the
-- year; QF proofs' files are purged after their retention period (docs/billing.md).

-- Which child and activity an invoice line is for (NULL on staff charges and credit notes):
-- the tax attestation counts the childcare lines of paid invoices per child, meals excluded.
ALTER TABLE invoice_lines ADD COLUMN child_id uuid, ADD COLUMN activity_id uuid;

-- Invoice payments by invoice (the attestation joins paid invoices to their payment).
CREATE INDEX payments_invoice ON payments (invoice_id) WHERE purpose = 'invoice' AND state = 'succeeded';

-- A purged proof keeps its review record (who, when, decision) and loses its file: the stored
-- name is blanked and purged_at says when.
ALTER TABLE qf_proofs ALTER COLUMN stored_name DROP NOT NULL, ADD COLUMN purged_at timestamptz;
CREATE INDEX qf_proofs_to_purge ON qf_proofs (decided_at) WHERE stored_name IS NOT NULL AND state <> 'pending';

-- The run writes a batch's lines with COPY (tens of thousands of rows). The foreign key to
-- invoices checked them one by one (a lookup and a KEY SHARE lock per line: most of the run's
-- time); the same guarantee is now checked once per statement, over the statement's new rows,
-- and an issued invoice can neither be deleted nor change its id (what the per-row lock was
-- protecting against), nor can its lines be changed or deleted (an issued invoice never changes).
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_invoice_id_fkey;

CREATE FUNCTION billing_invoice_lines_have_their_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_lines l WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.id = l.invoice_id)) THEN
        RAISE EXCEPTION 'an invoice line needs its invoice' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER invoice_lines_have_their_invoice AFTER INSERT ON invoice_lines
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT
    EXECUTE FUNCTION billing_invoice_lines_have_their_invoice();

CREATE FUNCTION billing_issued_documents_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'an issued invoice and its lines are never deleted nor renumbered'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER invoices_are_kept BEFORE DELETE OR UPDATE OF id ON invoices
    FOR EACH ROW EXECUTE FUNCTION billing_issued_documents_are_kept();
CREATE TRIGGER invoice_lines_are_kept BEFORE DELETE OR UPDATE ON invoice_lines
    FOR EACH ROW EXECUTE FUNCTION billing_issued_documents_are_kept();
CREATE TRIGGER invoices_not_truncated BEFORE TRUNCATE ON invoices
    FOR EACH STATEMENT EXECUTE FUNCTION billing_issued_documents_are_kept();
