-- Closing a follow-up: an append-only record naming the recovery, who closed it, and a note.
-- Kept in step with migrations/postgres/0003_follow_ups.sql.
CREATE TABLE follow_up_completions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    recovery_id      INTEGER NOT NULL UNIQUE REFERENCES recoveries (id),
    completed_by     INTEGER NOT NULL REFERENCES people (id),
    note             TEXT    NOT NULL CHECK (length(trim(note)) > 0),
    completed_at     TEXT    NOT NULL
);

-- Open follow-ups of a person: recoveries with a due time, newest budget days first.
CREATE INDEX recoveries_with_follow_up ON recoveries (person_id, follow_up_due_at) WHERE follow_up_due_at IS NOT NULL;

CREATE TRIGGER follow_up_completions_append_only_update BEFORE UPDATE ON follow_up_completions
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: follow-up completions cannot be changed'); END;
CREATE TRIGGER follow_up_completions_append_only_delete BEFORE DELETE ON follow_up_completions
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: follow-up completions cannot be deleted'); END;
