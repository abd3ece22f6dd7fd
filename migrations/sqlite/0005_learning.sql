-- The learning loop: per-organisation signal thresholds, improvement items, the recoveries
-- linked to them, and every change to an item (append-only history, comments included).
-- Kept in step with migrations/postgres/0005_learning.sql.
CREATE TABLE learning_settings (
    organisation_id           INTEGER PRIMARY KEY REFERENCES organisations (id),
    window_days               INTEGER NOT NULL CHECK (window_days BETWEEN 7 AND 365),
    location_occurrences      INTEGER NOT NULL CHECK (location_occurrences >= 2),
    organisation_occurrences  INTEGER NOT NULL CHECK (organisation_occurrences >= 2),
    updated_at                TEXT    NOT NULL
);

CREATE TABLE improvement_items (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    -- The cause it tracks: a category at a touchpoint, at one location or (NULL) everywhere.
    location_id      INTEGER REFERENCES locations (id),
    category         TEXT,
    touchpoint       TEXT,
    -- "location:3|category|touchpoint" or "organisation|category|touchpoint"; NULL for a
    -- hand-made item without a cause. At most one open item per signal (index below).
    signal_key       TEXT,
    from_signal      BOOLEAN NOT NULL,
    title            TEXT    NOT NULL CHECK (length(trim(title)) > 0),
    problem          TEXT    NOT NULL DEFAULT '',
    countermeasure   TEXT    NOT NULL DEFAULT '',
    owner_id         INTEGER REFERENCES people (id),
    due_on           TEXT,
    status           TEXT    NOT NULL CHECK (status IN ('proposed', 'accepted', 'in-progress', 'done', 'verified', 'declined')),
    declined_reason  TEXT,
    done_on          TEXT,
    created_by       INTEGER REFERENCES people (id),
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    CHECK (status <> 'declined' OR declined_reason IS NOT NULL),
    CHECK (status NOT IN ('done', 'verified') OR done_on IS NOT NULL)
);
CREATE UNIQUE INDEX improvement_items_one_open_per_signal ON improvement_items (organisation_id, signal_key)
    WHERE signal_key IS NOT NULL AND status NOT IN ('verified', 'declined');
CREATE INDEX improvement_items_by_status ON improvement_items (organisation_id, status);

CREATE TABLE improvement_links (
    item_id      INTEGER NOT NULL REFERENCES improvement_items (id),
    recovery_id  INTEGER NOT NULL REFERENCES recoveries (id),
    linked_by    INTEGER REFERENCES people (id),
    linked_at    TEXT    NOT NULL,
    PRIMARY KEY (item_id, recovery_id)
);
CREATE INDEX improvement_links_by_recovery ON improvement_links (recovery_id);

CREATE TABLE improvement_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    item_id          INTEGER NOT NULL REFERENCES improvement_items (id),
    actor_id         INTEGER REFERENCES people (id),
    kind             TEXT    NOT NULL,
    detail           TEXT    NOT NULL,
    at               TEXT    NOT NULL
);
CREATE INDEX improvement_events_by_item ON improvement_events (item_id, id);

CREATE TRIGGER improvement_events_append_only_update BEFORE UPDATE ON improvement_events
BEGIN SELECT RAISE(ABORT, 'item history is append-only: events cannot be changed'); END;
CREATE TRIGGER improvement_events_append_only_delete BEFORE DELETE ON improvement_events
BEGIN SELECT RAISE(ABORT, 'item history is append-only: events cannot be deleted'); END;
