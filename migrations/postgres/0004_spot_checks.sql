-- Sampled review: a supervisor's after-the-fact check of a within-budget recovery, "looks
-- right" or "needs a talk", with an optional note. One check per recovery; append-only.
-- Kept in step with migrations/sqlite/0004_spot_checks.sql.
CREATE TABLE spot_checks (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT  NOT NULL REFERENCES organisations (id),
    recovery_id      BIGINT  NOT NULL UNIQUE REFERENCES recoveries (id),
    checked_by       BIGINT  NOT NULL REFERENCES people (id),
    verdict          TEXT    NOT NULL CHECK (verdict IN ('looks-right', 'needs-a-talk')),
    note             TEXT    NOT NULL DEFAULT '',
    checked_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX spot_checks_by_checker ON spot_checks (checked_by, checked_at);

CREATE TRIGGER spot_checks_append_only BEFORE UPDATE OR DELETE ON spot_checks
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
