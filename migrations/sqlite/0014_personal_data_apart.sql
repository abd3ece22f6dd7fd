-- Customers' personal data apart from the ledger (docs/PRIVACY.md). A recovery's customer
-- reference and free text (what went wrong, the cause note, the follow-up note) move to
-- recovery_personal, one row per recovery, which retention and a data subject's erasure
-- redact. The ledger's own rows stay append-only and keep every amount, date, person and
-- status. Kept in step with migrations/postgres/0014_personal_data_apart.sql.

CREATE TABLE recovery_personal (
    recovery_id      INTEGER PRIMARY KEY REFERENCES recoveries (id),
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    location_id      INTEGER NOT NULL REFERENCES locations (id),
    -- When the recovery was recorded: retention counts from here.
    recorded_at      TEXT    NOT NULL,
    customer_ref     TEXT,
    -- customer_ref as references are compared (domain::privacy::customer_key); the store
    -- fills it for rows copied below, which SQL cannot normalise the same way in both
    -- databases.
    customer_key     TEXT,
    description      TEXT,
    cause_note       TEXT,
    follow_up_note   TEXT,
    -- Set once the fields above are emptied, with why: 'retention' or 'request'.
    redacted_at      TEXT,
    redaction        TEXT CHECK (redaction IN ('retention', 'request')),
    CHECK ((redacted_at IS NULL) = (redaction IS NULL)),
    CHECK (redacted_at IS NULL OR (customer_ref IS NULL AND customer_key IS NULL
        AND description IS NULL AND cause_note IS NULL AND follow_up_note IS NULL))
);
CREATE INDEX recovery_personal_by_customer
    ON recovery_personal (organisation_id, customer_key, recorded_at) WHERE customer_key IS NOT NULL;
CREATE INDEX recovery_personal_to_redact
    ON recovery_personal (organisation_id, recorded_at) WHERE redacted_at IS NULL;

INSERT INTO recovery_personal (recovery_id, organisation_id, location_id, recorded_at,
        customer_ref, description, cause_note, follow_up_note)
    SELECT r.id, r.organisation_id, r.location_id, r.recorded_at,
           r.customer_ref, r.description, r.cause_note, c.note
    FROM recoveries r LEFT JOIN follow_up_completions c ON c.recovery_id = r.id;

ALTER TABLE recoveries DROP COLUMN customer_ref;
ALTER TABLE recoveries DROP COLUMN description;
ALTER TABLE recoveries DROP COLUMN cause_note;
ALTER TABLE follow_up_completions DROP COLUMN note;

-- Every redaction: retention's runs and each data subject's erasure. Who asked (NULL for
-- retention), why, which days were searched, and how many recoveries it emptied — never
-- what was erased. Append-only.
CREATE TABLE redactions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    kind             TEXT    NOT NULL CHECK (kind IN ('retention', 'request')),
    requested_by     INTEGER REFERENCES people (id),
    reason           TEXT    NOT NULL CHECK (length(trim(reason)) > 0),
    from_date        TEXT,
    to_date          TEXT,
    recoveries       BIGINT  NOT NULL CHECK (recoveries >= 0),
    redacted_at      TEXT    NOT NULL
);
CREATE INDEX redactions_by_organisation ON redactions (organisation_id, redacted_at);
CREATE TRIGGER redactions_append_only_update BEFORE UPDATE ON redactions
BEGIN SELECT RAISE(ABORT, 'the redaction log is append-only'); END;
CREATE TRIGGER redactions_append_only_delete BEFORE DELETE ON redactions
BEGIN SELECT RAISE(ABORT, 'the redaction log is append-only'); END;

ALTER TABLE organisations ADD COLUMN personal_retention_days BIGINT NOT NULL DEFAULT 400
    CHECK (personal_retention_days BETWEEN 30 AND 3650);
