-- depends: 0003_registration_drafts
-- Idempotency-Key answers now live in servicekit's table `idempotent_requests`
-- (migration 0001_servicekit_idempotency, applied with these), written in the transaction
-- of the change they answer. Answers stored here expire within 24 h anyway: a retry of
-- a request answered just before this migration is treated as a new request.

DROP TABLE idempotency_keys;
