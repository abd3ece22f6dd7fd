-- What 0011 replaced and nothing reads or writes any more: the sign-in failures table (the
-- attempts of 0011 and the append-only security events took its place) and the acting person
-- on the session row (the running turn is tablet_turns, named by sessions.acting_turn_id).
-- Kept in step with migrations/sqlite/0013_drop_unused_sign_in_state.sql.
DROP TABLE sign_in_failures;
ALTER TABLE sessions DROP COLUMN acting_person_id;
ALTER TABLE sessions DROP COLUMN acting_until;
