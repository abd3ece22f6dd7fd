-- Usernames are unique within an organisation, not across all of them: one organisation's
-- admin no longer learns another organisation's usernames from "that username is taken".
-- Sign-in names the organisation (its short name, organisations.slug) with the username.
-- Kept in step with migrations/postgres/0012_usernames_per_organisation.sql.
--
-- SQLite cannot drop a column's UNIQUE constraint, so the table is rebuilt as SQLite's
-- documentation prescribes ("Making Other Kinds Of Table Schema Changes"): new table, copy,
-- drop the old, rename the new, indexes — in the one transaction the migration runs in, so a
-- failure leaves the old table as it was. Foreign keys are off while it runs (the store sets
-- that on the migrating connection: the pragma does nothing inside a transaction) and every
-- reference is checked afterwards (`store::migrate_sqlite`). Columns, ids and rows are
-- unchanged; the other tables' REFERENCES people name the new table.
CREATE TABLE people_rebuilt (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    location_id      INTEGER NOT NULL REFERENCES locations (id),
    team_id          INTEGER REFERENCES teams (id),
    display_name     TEXT    NOT NULL CHECK (length(trim(display_name)) > 0),
    username         TEXT    NOT NULL,
    email            TEXT,
    password_hash    TEXT,
    pin_hash         TEXT,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TEXT    NOT NULL,
    UNIQUE (organisation_id, username)
);
INSERT INTO people_rebuilt (id, organisation_id, location_id, team_id, display_name, username,
                            email, password_hash, pin_hash, active, created_at)
     SELECT id, organisation_id, location_id, team_id, display_name, username,
            email, password_hash, pin_hash, active, created_at
       FROM people;
DROP TABLE people;
ALTER TABLE people_rebuilt RENAME TO people;
CREATE INDEX people_by_location ON people (organisation_id, location_id);
