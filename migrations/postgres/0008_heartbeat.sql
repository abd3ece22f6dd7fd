-- One row that `GET /healthz` updates in a write transaction it then rolls back: proof that
-- the database accepts writes, not only reads (a hot standby or default_transaction_read_only
-- refuses it). Kept in step with migrations/sqlite/0008_heartbeat.sql.

CREATE TABLE heartbeat (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    beat  BIGINT NOT NULL DEFAULT 0
);

INSERT INTO heartbeat (id, beat) VALUES (1, 0);
