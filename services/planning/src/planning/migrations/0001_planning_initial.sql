-- depends: 0000_servicekit_outbox_inbox
-- School years and the activities a child can be booked on.

CREATE TABLE school_years (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    label      text NOT NULL UNIQUE,          -- « 2026/2027 »
    starts_on  date NOT NULL,
    ends_on    date NOT NULL,
    CHECK (starts_on < ends_on)
);

CREATE TABLE activities (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    school_year_id  uuid NOT NULL REFERENCES school_years (id),
    code            text NOT NULL,            -- stable key within a year: cantine, peri_matin ...
    name            text NOT NULL,            -- « Cantine (11h30 à 13h30) »
    starts_at       time NOT NULL,
    ends_at         time NOT NULL,
    -- ISO weekdays the activity runs on (1 = Monday ... 7 = Sunday)
    weekdays        smallint[] NOT NULL CHECK (weekdays <@ ARRAY[1,2,3,4,5,6,7]::smallint[]),
    capacity        integer NOT NULL CHECK (capacity >= 0),
    UNIQUE (school_year_id, code)
);
CREATE INDEX activities_year ON activities (school_year_id);
