-- depends: 0002_messaging_threads_and_emails 0001_servicekit_idempotency
-- Idempotency-Key answers now live in servicekit's idempotent_requests table, written in
-- the transaction of the effect; messaging's own table is no longer read or written.

DROP TABLE IF EXISTS idempotency_keys;
