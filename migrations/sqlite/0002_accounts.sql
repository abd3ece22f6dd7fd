-- Sign-in sessions, throttling of sign-in attempts, and the administration audit log.
-- Kept in step with migrations/postgres/0002_accounts.sql.

-- Sessions live in the database so several app servers share them. The cookie holds a
-- random token; only its SHA-256 is stored, so a database leak does not leak sessions.
CREATE TABLE sessions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash          TEXT    NOT NULL UNIQUE,
    organisation_id     INTEGER NOT NULL REFERENCES organisations (id),
    -- Who signed in with a password (on a shared tablet: the supervisor who set it up).
    person_id           INTEGER NOT NULL REFERENCES people (id),
    -- Set when the device is a shared tablet for one location.
    tablet_location_id  INTEGER REFERENCES locations (id),
    -- On a tablet: who is acting after entering their PIN, and until when (idle limit).
    acting_person_id    INTEGER REFERENCES people (id),
    acting_until        TEXT,
    client              TEXT    NOT NULL,
    created_at          TEXT    NOT NULL,
    last_seen_at        TEXT    NOT NULL,
    expires_at          TEXT    NOT NULL,
    revoked_at          TEXT
);
CREATE INDEX sessions_by_person ON sessions (person_id);

CREATE TABLE sign_in_failures (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL CHECK (kind IN ('password', 'pin')),
    person_id   INTEGER REFERENCES people (id),
    client      TEXT    NOT NULL,
    failed_at   TEXT    NOT NULL
);
CREATE INDEX sign_in_failures_by_person ON sign_in_failures (person_id, failed_at);
CREATE INDEX sign_in_failures_by_client ON sign_in_failures (client, failed_at);

-- Every administrative change: who, when, what, before and after (JSON).
CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    actor_id         INTEGER REFERENCES people (id),
    action           TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    before_json      TEXT,
    after_json       TEXT,
    at               TEXT    NOT NULL
);
CREATE INDEX audit_log_by_org ON audit_log (organisation_id, at);

CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
