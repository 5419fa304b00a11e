-- depends: 0001_planning_initial
-- Booking: the calendar staff configure, the children copy, enrolments, places, baskets,
-- reservations, attendance and the reminders already sent.

-- Activities: the weekdays they run in school holidays, age/level limits, audit time.
ALTER TABLE activities
    ADD COLUMN holiday_weekdays smallint[] NOT NULL DEFAULT '{}'
        CHECK (holiday_weekdays <@ ARRAY[1,2,3,4,5,6,7]::smallint[]),
    ADD COLUMN min_age  smallint CHECK (min_age BETWEEN 0 AND 25),
    ADD COLUMN max_age  smallint CHECK (max_age BETWEEN 0 AND 25),
    ADD COLUMN levels   text[],              -- NULL: every level
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- School-holiday periods entered by staff (they complement the zone's official calendar,
-- or replace it for years the package does not know).
CREATE TABLE school_holidays (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    school_year_id  uuid NOT NULL REFERENCES school_years (id),
    starts_on       date NOT NULL,
    ends_on         date NOT NULL,
    label           text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (starts_on <= ends_on)
);
CREATE INDEX school_holidays_year ON school_holidays (school_year_id);

-- Staff closures: one activity, or every activity (activity_id NULL).
CREATE TABLE closures (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    activity_id  uuid REFERENCES activities (id),
    starts_on    date NOT NULL,
    ends_on      date NOT NULL,
    label        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (starts_on <= ends_on)
);
CREATE INDEX closures_range ON closures (starts_on, ends_on);

-- Months open for booking: a row per open month (its first day).
CREATE TABLE open_months (
    month      date PRIMARY KEY CHECK (extract(day FROM month) = 1),
    opened_at  timestamptz NOT NULL DEFAULT now()
);

-- The deadline rule: one settings row (the town's rule applies to every school year).
CREATE TABLE deadline_rule (
    singleton            boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    anchor               text NOT NULL DEFAULT 'week' CHECK (anchor IN ('week', 'day')),
    days_before          smallint NOT NULL DEFAULT 1 CHECK (days_before BETWEEN 0 AND 60),
    at_time              time NOT NULL DEFAULT '21:00',
    -- a separate cancellation deadline; NULL anchor: the booking rule governs cancellations
    cancel_anchor        text CHECK (cancel_anchor IN ('week', 'day')),
    cancel_days_before   smallint CHECK (cancel_days_before BETWEEN 0 AND 60),
    cancel_at_time       time,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK ((cancel_anchor IS NULL) = (cancel_days_before IS NULL) AND (cancel_anchor IS NULL) = (cancel_at_time IS NULL))
);
INSERT INTO deadline_rule DEFAULT VALUES;

-- Planning's copy of the children, fed by accounts.child.added / accounts.child.updated.
CREATE TABLE children (
    child_id     uuid PRIMARY KEY,
    dossier_id   uuid NOT NULL,
    first_name   text NOT NULL,
    last_name    text NOT NULL,
    birth_date   date,
    school       text,
    level        text,
    -- the occurred_at of the event that wrote this row: an older event never overwrites it
    source_at    timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX children_dossier ON children (dossier_id);

CREATE TABLE enrolments (
    child_id     uuid NOT NULL REFERENCES children (child_id),
    activity_id  uuid NOT NULL REFERENCES activities (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (child_id, activity_id)
);
CREATE INDEX enrolments_activity ON enrolments (activity_id);

-- Places of one activity on one day. A place is taken by a conditional UPDATE
-- (... WHERE confirmed + held < capacity): never more than capacity, whatever the race.
CREATE TABLE day_places (
    activity_id  uuid NOT NULL REFERENCES activities (id),
    day          date NOT NULL,
    capacity     integer NOT NULL CHECK (capacity >= 0),
    confirmed    integer NOT NULL DEFAULT 0 CHECK (confirmed >= 0),
    held         integer NOT NULL DEFAULT 0 CHECK (held >= 0),
    PRIMARY KEY (activity_id, day)
);

-- One active (open or checking_out) basket per family.
CREATE TABLE baskets (
    id              uuid PRIMARY KEY,
    dossier_id      uuid NOT NULL,
    status          text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'checking_out', 'confirmed', 'released')),
    release_reason  text,                 -- payment_failed | expired
    version         integer NOT NULL DEFAULT 0,
    checkout_id     uuid UNIQUE,
    checked_out_at  timestamptz,
    expires_at      timestamptz,
    payment_id      uuid,
    payment_status  text,                 -- pending | covered, as billing answered
    payment_url     text,
    amount_cents    integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'checking_out' OR (checkout_id IS NOT NULL AND expires_at IS NOT NULL))
);
CREATE UNIQUE INDEX baskets_one_active ON baskets (dossier_id) WHERE status IN ('open', 'checking_out');
CREATE INDEX baskets_expiring ON baskets (expires_at) WHERE status = 'checking_out';

CREATE TABLE basket_lines (
    basket_id     uuid NOT NULL REFERENCES baskets (id) ON DELETE CASCADE,
    child_id      uuid NOT NULL REFERENCES children (child_id),
    activity_id   uuid NOT NULL REFERENCES activities (id),
    day           date NOT NULL,
    change        text NOT NULL CHECK (change IN ('add', 'remove')),
    -- the last quote's amount (billing prices again at payment; this is for display only)
    amount_cents  integer,
    PRIMARY KEY (basket_id, child_id, activity_id, day)
);

-- Confirmed (paid) days. A cancelled one keeps its row for the history.
CREATE TABLE reservations (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    dossier_id    uuid NOT NULL,
    child_id      uuid NOT NULL REFERENCES children (child_id),
    activity_id   uuid NOT NULL REFERENCES activities (id),
    day           date NOT NULL,
    basket_id     uuid REFERENCES baskets (id),
    payment_id    uuid,
    status        text NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'cancelled')),
    confirmed_at  timestamptz NOT NULL DEFAULT now(),
    cancelled_at  timestamptz
);
CREATE UNIQUE INDEX reservations_one_per_day ON reservations (child_id, activity_id, day) WHERE status = 'confirmed';
CREATE INDEX reservations_day ON reservations (day, activity_id) WHERE status = 'confirmed';
CREATE INDEX reservations_dossier ON reservations (dossier_id, day);

CREATE TABLE attendance (
    child_id     uuid NOT NULL REFERENCES children (child_id),
    activity_id  uuid NOT NULL REFERENCES activities (id),
    day          date NOT NULL,
    status       text NOT NULL CHECK (status IN ('present', 'absent')),
    booked       boolean NOT NULL,
    recorded_by  uuid NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (child_id, activity_id, day)
);

-- « Nothing booked next week » reminders already published: once per family and week.
CREATE TABLE booking_reminders (
    dossier_id      uuid NOT NULL,
    week_starts_on  date NOT NULL,
    sent_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dossier_id, week_starts_on)
);
