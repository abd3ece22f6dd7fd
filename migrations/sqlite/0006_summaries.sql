-- The monthly learning summary: leadership's draft commentary per month and scope, and the
-- published summaries, frozen as a JSON snapshot of every figure (append-only).
-- Kept in step with migrations/postgres/0006_summaries.sql.

-- scope_key: 'organisation' or 'location:<id>'.
CREATE TABLE summary_drafts (
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    scope_key        TEXT    NOT NULL,
    month            TEXT    NOT NULL CHECK (length(month) = 7),
    commentary       TEXT    NOT NULL,
    updated_by       INTEGER NOT NULL REFERENCES people (id),
    updated_at       TEXT    NOT NULL,
    PRIMARY KEY (organisation_id, scope_key, month)
);

CREATE TABLE published_summaries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    location_id      INTEGER REFERENCES locations (id),
    scope_key        TEXT    NOT NULL,
    month            TEXT    NOT NULL CHECK (length(month) = 7),
    commentary       TEXT    NOT NULL,
    snapshot         TEXT    NOT NULL,
    published_by     INTEGER NOT NULL REFERENCES people (id),
    published_at     TEXT    NOT NULL,
    UNIQUE (organisation_id, scope_key, month)
);

-- The summary reads one month of budget days across an organisation.
CREATE INDEX budget_days_by_org_day ON budget_days (organisation_id, budget_date);

CREATE TRIGGER published_summaries_append_only_update BEFORE UPDATE ON published_summaries
BEGIN SELECT RAISE(ABORT, 'a published summary is frozen: it cannot be changed'); END;
CREATE TRIGGER published_summaries_append_only_delete BEFORE DELETE ON published_summaries
BEGIN SELECT RAISE(ABORT, 'a published summary is frozen: it cannot be deleted'); END;
