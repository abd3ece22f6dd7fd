-- One row that `GET /healthz` updates in a write transaction it then rolls back: proof that
-- the database accepts writes, not only reads (a read-only file or mount refuses it).
-- Kept in step with migrations/postgres/0008_heartbeat.sql.

CREATE TABLE heartbeat (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    beat  INTEGER NOT NULL DEFAULT 0
);

INSERT INTO heartbeat (id, beat) VALUES (1, 0);
