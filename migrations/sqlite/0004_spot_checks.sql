-- Sampled review: a supervisor's after-the-fact check of a within-budget recovery, "looks
-- right" or "needs a talk", with an optional note. One check per recovery; append-only.
-- Kept in step with migrations/postgres/0004_spot_checks.sql.
CREATE TABLE spot_checks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    recovery_id      INTEGER NOT NULL UNIQUE REFERENCES recoveries (id),
    checked_by       INTEGER NOT NULL REFERENCES people (id),
    verdict          TEXT    NOT NULL CHECK (verdict IN ('looks-right', 'needs-a-talk')),
    note             TEXT    NOT NULL DEFAULT '',
    checked_at       TEXT    NOT NULL
);
CREATE INDEX spot_checks_by_checker ON spot_checks (checked_by, checked_at);

CREATE TRIGGER spot_checks_append_only_update BEFORE UPDATE ON spot_checks
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: spot checks cannot be changed'); END;
CREATE TRIGGER spot_checks_append_only_delete BEFORE DELETE ON spot_checks
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: spot checks cannot be deleted'); END;
