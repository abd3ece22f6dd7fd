-- Closing a follow-up: an append-only record naming the recovery, who closed it, and a note.
-- Kept in step with migrations/sqlite/0003_follow_ups.sql.
CREATE TABLE follow_up_completions (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT  NOT NULL REFERENCES organisations (id),
    recovery_id      BIGINT  NOT NULL UNIQUE REFERENCES recoveries (id),
    completed_by     BIGINT  NOT NULL REFERENCES people (id),
    note             TEXT    NOT NULL CHECK (length(trim(note)) > 0),
    completed_at     TIMESTAMPTZ NOT NULL
);

-- Open follow-ups of a person: recoveries with a due time, newest budget days first.
CREATE INDEX recoveries_with_follow_up ON recoveries (person_id, follow_up_due_at) WHERE follow_up_due_at IS NOT NULL;

CREATE TRIGGER follow_up_completions_append_only BEFORE UPDATE OR DELETE ON follow_up_completions
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
