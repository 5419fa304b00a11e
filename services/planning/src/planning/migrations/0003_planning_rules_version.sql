-- depends: 0002_planning_booking
-- The version of what staff configure (school years, activities, school holidays, closures,
-- open months, the deadline rule): bumped by a trigger in the very transaction of any change
-- to those tables, so the parents' reads can keep the rules in memory and check, with the
-- same statement that reads a child's month, that they are still the current ones.

CREATE TABLE rules_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version bigint NOT NULL
);
INSERT INTO rules_version (singleton, version) VALUES (true, 1);

CREATE FUNCTION bump_rules_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rules_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER school_years_bump_rules AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON school_years
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_version();
CREATE TRIGGER activities_bump_rules AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON activities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_version();
CREATE TRIGGER school_holidays_bump_rules AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON school_holidays
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_version();
CREATE TRIGGER closures_bump_rules AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON closures
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_version();
CREATE TRIGGER open_months_bump_rules AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON open_months
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_version();
CREATE TRIGGER deadline_rule_bump_rules AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON deadline_rule
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_version();
