-- No secret at rest (issue 11): the names of an event's secret fields (single-use tokens)
-- travel with its outbox row, so that the relay wipes them in the statement that marks
-- the row published; published rows and old inbox rows are purged after a retention
-- period (OUTBOX_RETENTION_HOURS, INBOX_RETENTION_DAYS).

ALTER TABLE outbox ADD COLUMN secret_fields text[] NOT NULL DEFAULT '{}';

-- Rows the purge looks for.
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX inbox_handled ON inbox (handled_at);
