-- The learning loop: per-organisation signal thresholds, improvement items, the recoveries
-- linked to them, and every change to an item (append-only history, comments included).
-- Kept in step with migrations/sqlite/0005_learning.sql.
CREATE TABLE learning_settings (
    organisation_id           BIGINT PRIMARY KEY REFERENCES organisations (id),
    window_days               BIGINT  NOT NULL CHECK (window_days BETWEEN 7 AND 365),
    location_occurrences      BIGINT  NOT NULL CHECK (location_occurrences >= 2),
    organisation_occurrences  BIGINT  NOT NULL CHECK (organisation_occurrences >= 2),
    updated_at                TIMESTAMPTZ NOT NULL
);

CREATE TABLE improvement_items (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations (id),
    -- The cause it tracks: a category at a touchpoint, at one location or (NULL) everywhere.
    location_id      BIGINT REFERENCES locations (id),
    category         TEXT,
    touchpoint       TEXT,
    -- "location:3|category|touchpoint" or "organisation|category|touchpoint"; NULL for a
    -- hand-made item without a cause. At most one open item per signal (index below).
    signal_key       TEXT,
    from_signal      BOOLEAN NOT NULL,
    title            TEXT    NOT NULL CHECK (length(trim(title)) > 0),
    problem          TEXT    NOT NULL DEFAULT '',
    countermeasure   TEXT    NOT NULL DEFAULT '',
    owner_id         BIGINT REFERENCES people (id),
    due_on           DATE,
    status           TEXT    NOT NULL CHECK (status IN ('proposed', 'accepted', 'in-progress', 'done', 'verified', 'declined')),
    declined_reason  TEXT,
    done_on          DATE,
    created_by       BIGINT REFERENCES people (id),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    CHECK (status <> 'declined' OR declined_reason IS NOT NULL),
    CHECK (status NOT IN ('done', 'verified') OR done_on IS NOT NULL)
);
CREATE UNIQUE INDEX improvement_items_one_open_per_signal ON improvement_items (organisation_id, signal_key)
    WHERE signal_key IS NOT NULL AND status NOT IN ('verified', 'declined');
CREATE INDEX improvement_items_by_status ON improvement_items (organisation_id, status);

CREATE TABLE improvement_links (
    item_id      BIGINT NOT NULL REFERENCES improvement_items (id),
    recovery_id  BIGINT NOT NULL REFERENCES recoveries (id),
    linked_by    BIGINT REFERENCES people (id),
    linked_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (item_id, recovery_id)
);
CREATE INDEX improvement_links_by_recovery ON improvement_links (recovery_id);

CREATE TABLE improvement_events (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations (id),
    item_id          BIGINT NOT NULL REFERENCES improvement_items (id),
    actor_id         BIGINT REFERENCES people (id),
    kind             TEXT    NOT NULL,
    detail           TEXT    NOT NULL,
    at               TIMESTAMPTZ NOT NULL
);
CREATE INDEX improvement_events_by_item ON improvement_events (item_id, id);

CREATE TRIGGER improvement_events_append_only BEFORE UPDATE OR DELETE ON improvement_events
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
