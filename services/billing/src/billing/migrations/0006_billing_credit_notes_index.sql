-- depends: 0005_billing_batches_attestations_retention
-- An invoice's credit notes are read by invoice (what is left to credit, the invoice's page):
-- without an index each read scanned every invoice and credit note. Partial, so the monthly
-- run's invoices (credited_invoice is NULL) never enter it and cost nothing more.
CREATE INDEX invoices_credited_invoice ON invoices (credited_invoice) WHERE credited_invoice IS NOT NULL;
