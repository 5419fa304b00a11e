-- depends: 0000_servicekit_outbox_inbox
-- Themes parents write to, each routed to a staff role.

CREATE TABLE themes (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code        text NOT NULL UNIQUE,
    label       text NOT NULL,
    staff_role  text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    position    smallint NOT NULL DEFAULT 0
);
