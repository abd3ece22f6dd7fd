-- The shared tablet's turns kept as history, sign-in attempts reserved before they are
-- checked, and an append-only log of security events.
-- Kept in step with migrations/sqlite/0011_turns_and_attempts.sql.

-- Every PIN turn on a shared tablet. A deferred entry (logged offline, sent later) carries
-- its turn's token and is recorded for that turn's person if the turn covered its capture
-- time, whoever holds the tablet when it arrives. Only the token's SHA-256 is stored.
CREATE TABLE tablet_turns (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id       BIGINT NOT NULL REFERENCES sessions (id),
    organisation_id  BIGINT NOT NULL REFERENCES organisations (id),
    location_id      BIGINT NOT NULL REFERENCES locations (id),
    person_id        BIGINT NOT NULL REFERENCES people (id),
    token_hash       TEXT    NOT NULL UNIQUE,
    -- Random, per turn: the token is derived from the tablet's session token and this, so
    -- the server can hand it to the device again on any page of the turn without storing it.
    salt             TEXT    NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    -- The idle end: pushed forward by the person's deliberate actions, never past ends_at.
    active_until     TIMESTAMPTZ NOT NULL,
    -- The longest a turn may last.
    ends_at          TIMESTAMPTZ NOT NULL,
    -- Set when the turn is ended by hand or by the next person's PIN.
    ended_at         TIMESTAMPTZ,
    -- Set when the person entered their password during the turn: the functions beyond the
    -- front line and approvals open for the rest of the turn (step-up).
    stepped_up_at    TIMESTAMPTZ
);
CREATE INDEX tablet_turns_by_session ON tablet_turns (session_id, started_at);

-- The session's running turn (the acting_person_id and acting_until columns of 0002 are no
-- longer read: the turn row holds who and until when).
ALTER TABLE sessions ADD COLUMN acting_turn_id BIGINT REFERENCES tablet_turns (id);

-- Sign-in and PIN attempts, reserved before the hash is checked so that concurrent guesses
-- count against the limit before any of them is evaluated. subject: 'user:<username>' (known
-- or not, alike) or 'person:<id>' for a PIN; device: 'client:<address>' or
-- 'tablet:<session id>'.
CREATE TABLE sign_in_attempts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('password', 'pin')),
    subject     TEXT    NOT NULL,
    device      TEXT    NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('pending', 'failed', 'succeeded'))
);
CREATE INDEX sign_in_attempts_by_subject ON sign_in_attempts (kind, subject, started_at);
CREATE INDEX sign_in_attempts_by_device ON sign_in_attempts (kind, device, started_at);

-- One row per subject and device ever attempted: the reservation takes these rows' locks
-- (PostgreSQL; SQLite's write lock covers it) so that two attempts for one subject are
-- counted one after the other.
CREATE TABLE sign_in_locks (
    key  TEXT NOT NULL PRIMARY KEY
);

-- Sign-ins, failures, refusals, PIN turns, tablet set-ups and sign-outs. Append-only: a
-- success never erases the failures before it. organisation_id and person_id are empty for
-- an unknown username; the subject is what was typed (never a secret).
CREATE TABLE security_events (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT  REFERENCES organisations (id),
    person_id        BIGINT  REFERENCES people (id),
    kind             TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    client           TEXT    NOT NULL,
    at               TIMESTAMPTZ NOT NULL
);
CREATE INDEX security_events_by_org ON security_events (organisation_id, at);

CREATE TRIGGER security_events_append_only BEFORE UPDATE OR DELETE ON security_events
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();