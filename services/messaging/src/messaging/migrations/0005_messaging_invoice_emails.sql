-- depends: 0004_messaging_booking_and_payment_copies
-- The invoice e-mail carries the invoice's PDF (asked of billing when the e-mail is queued):
-- one optional attachment per e-mail, kept with it like its body.
ALTER TABLE emails ADD COLUMN attachment_name text;
ALTER TABLE emails ADD COLUMN attachment_type text;
ALTER TABLE emails ADD COLUMN attachment bytea;
