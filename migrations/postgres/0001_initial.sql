-- Goodwill schema (PostgreSQL). Kept in step with migrations/sqlite/0001_initial.sql:
-- same tables, columns, constraints and indexes; only the dialect differs.
-- Timestamps are TIMESTAMPTZ, dates are DATE, money is integer minor units (BIGINT).

CREATE TABLE organisations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    slug        TEXT    NOT NULL UNIQUE,
    industry    TEXT    NOT NULL CHECK (industry IN ('hotel', 'restaurant', 'retail', 'contact-centre')),
    currency    TEXT    NOT NULL CHECK (length(currency) = 3),
    time_zone   TEXT    NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE locations (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations (id),
    name             TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    time_zone        TEXT    NOT NULL,
    currency         TEXT    NOT NULL CHECK (length(currency) = 3),
    created_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, name)
);

CREATE TABLE teams (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id     BIGINT NOT NULL REFERENCES organisations (id),
    location_id         BIGINT NOT NULL REFERENCES locations (id),
    name                TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    default_touchpoint  TEXT,
    created_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (location_id, name)
);

CREATE TABLE people (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations (id),
    location_id      BIGINT NOT NULL REFERENCES locations (id),
    team_id          BIGINT REFERENCES teams (id),
    display_name     TEXT    NOT NULL CHECK (length(trim(display_name)) > 0),
    username         TEXT    NOT NULL UNIQUE,
    email            TEXT,
    password_hash    TEXT,
    pin_hash         TEXT,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX people_by_location ON people (organisation_id, location_id);

CREATE TABLE role_grants (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations (id),
    person_id        BIGINT NOT NULL REFERENCES people (id),
    role             TEXT    NOT NULL CHECK (role IN ('staff', 'supervisor', 'manager', 'leader', 'admin')),
    location_id      BIGINT REFERENCES locations (id),
    -- 'org' or the location id: NULLs never collide in a UNIQUE constraint, this key does.
    scope_key        TEXT    NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (person_id, role, scope_key)
);

CREATE TABLE taxonomy_entries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations (id),
    kind             TEXT    NOT NULL CHECK (kind IN ('category', 'touchpoint', 'remedy', 'cause', 'channel')),
    code             TEXT    NOT NULL,
    label            TEXT    NOT NULL,
    position         BIGINT NOT NULL,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (organisation_id, kind, code)
);

CREATE TABLE budget_policies (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id         BIGINT NOT NULL REFERENCES organisations (id),
    scope_kind              TEXT    NOT NULL CHECK (scope_kind IN ('organisation', 'role', 'team', 'person')),
    role                    TEXT,
    team_id                 BIGINT REFERENCES teams (id),
    person_id               BIGINT REFERENCES people (id),
    scope_key               TEXT    NOT NULL,
    daily_allowance_minor   BIGINT  NOT NULL CHECK (daily_allowance_minor >= 0),
    per_recovery_cap_minor  BIGINT  CHECK (per_recovery_cap_minor > 0),
    updated_at              TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, scope_key)
);

CREATE TABLE budget_boosts (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id      BIGINT NOT NULL REFERENCES organisations (id),
    scope_kind           TEXT    NOT NULL CHECK (scope_kind IN ('organisation', 'team', 'person')),
    team_id              BIGINT REFERENCES teams (id),
    person_id            BIGINT REFERENCES people (id),
    starts_on            DATE    NOT NULL,
    ends_on              DATE    NOT NULL,
    extra_per_day_minor  BIGINT  NOT NULL CHECK (extra_per_day_minor > 0),
    reason               TEXT    NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    CHECK (starts_on <= ends_on)
);
CREATE INDEX budget_boosts_by_dates ON budget_boosts (organisation_id, ends_on);

-- One row per employee and local date: the lock every budget write takes first, and the
-- running totals the check reads. The CHECK repeats the ledger invariant as a last guard.
CREATE TABLE budget_days (
    person_id              BIGINT NOT NULL REFERENCES people (id),
    budget_date            DATE    NOT NULL,
    organisation_id        BIGINT NOT NULL REFERENCES organisations (id),
    location_id            BIGINT NOT NULL REFERENCES locations (id),
    currency               TEXT    NOT NULL,
    allowance_minor        BIGINT  NOT NULL CHECK (allowance_minor >= 0),
    spent_minor            BIGINT  NOT NULL DEFAULT 0,
    approved_excess_minor  BIGINT  NOT NULL DEFAULT 0 CHECK (approved_excess_minor >= 0),
    pending_excess_minor   BIGINT  NOT NULL DEFAULT 0 CHECK (pending_excess_minor >= 0),
    version                BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (person_id, budget_date),
    CHECK (spent_minor >= 0 AND spent_minor <= allowance_minor)
);
CREATE INDEX budget_days_by_location ON budget_days (location_id, budget_date);

-- The ledger: recoveries, approval decisions and reversals are append-only (triggers below).
CREATE TABLE recoveries (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT NOT NULL REFERENCES organisations (id),
    location_id       BIGINT NOT NULL REFERENCES locations (id),
    team_id           BIGINT REFERENCES teams (id),
    person_id         BIGINT NOT NULL REFERENCES people (id),
    recorded_by       BIGINT NOT NULL REFERENCES people (id),
    budget_date       DATE    NOT NULL,
    occurred_at       TIMESTAMPTZ NOT NULL,
    recorded_at       TIMESTAMPTZ NOT NULL,
    touchpoint        TEXT    NOT NULL,
    channel           TEXT    NOT NULL,
    customer_ref      TEXT,
    category          TEXT    NOT NULL,
    severity          TEXT    NOT NULL,
    description       TEXT    NOT NULL,
    remedy            TEXT    NOT NULL,
    amount_minor      BIGINT  NOT NULL CHECK (amount_minor >= 0),
    currency          TEXT    NOT NULL,
    reaction          TEXT    NOT NULL,
    cause             TEXT,
    cause_note        TEXT,
    follow_up_due_at  TIMESTAMPTZ,
    covered_minor     BIGINT  NOT NULL CHECK (covered_minor >= 0),
    excess_minor      BIGINT  NOT NULL CHECK (excess_minor >= 0),
    idempotency_key   TEXT    NOT NULL,
    request_hash      TEXT    NOT NULL,
    CHECK (covered_minor + excess_minor = amount_minor),
    UNIQUE (organisation_id, idempotency_key),
    FOREIGN KEY (person_id, budget_date) REFERENCES budget_days (person_id, budget_date)
);
CREATE INDEX recoveries_by_person_day ON recoveries (person_id, budget_date);
CREATE INDEX recoveries_by_location_day ON recoveries (location_id, budget_date);
CREATE INDEX recoveries_by_team_day ON recoveries (team_id, budget_date);
CREATE INDEX recoveries_by_org_day ON recoveries (organisation_id, budget_date);
CREATE INDEX recoveries_by_cause ON recoveries (organisation_id, category, touchpoint, location_id, budget_date);
CREATE INDEX recoveries_with_excess ON recoveries (organisation_id, location_id, recorded_at) WHERE excess_minor > 0;

CREATE TABLE approval_decisions (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT NOT NULL REFERENCES organisations (id),
    recovery_id       BIGINT NOT NULL UNIQUE REFERENCES recoveries (id),
    decided_by        BIGINT NOT NULL REFERENCES people (id),
    outcome           TEXT    NOT NULL CHECK (outcome IN ('approved', 'partly-approved', 'denied')),
    approved_minor    BIGINT  NOT NULL CHECK (approved_minor >= 0),
    reason            TEXT,
    decided_at        TIMESTAMPTZ NOT NULL,
    idempotency_key   TEXT    NOT NULL,
    request_hash      TEXT    NOT NULL,
    UNIQUE (organisation_id, idempotency_key)
);

CREATE TABLE reversals (
    id                       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id          BIGINT NOT NULL REFERENCES organisations (id),
    recovery_id              BIGINT NOT NULL UNIQUE REFERENCES recoveries (id),
    reversed_by              BIGINT NOT NULL REFERENCES people (id),
    reason                   TEXT    NOT NULL CHECK (length(trim(reason)) > 0),
    reversed_covered_minor   BIGINT  NOT NULL CHECK (reversed_covered_minor >= 0),
    reversed_approved_minor  BIGINT  NOT NULL CHECK (reversed_approved_minor >= 0),
    reversed_at              TIMESTAMPTZ NOT NULL,
    idempotency_key          TEXT    NOT NULL,
    request_hash             TEXT    NOT NULL,
    UNIQUE (organisation_id, idempotency_key)
);

CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % cannot be changed or deleted', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER recoveries_append_only BEFORE UPDATE OR DELETE ON recoveries
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER approval_decisions_append_only BEFORE UPDATE OR DELETE ON approval_decisions
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER reversals_append_only BEFORE UPDATE OR DELETE ON reversals
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
