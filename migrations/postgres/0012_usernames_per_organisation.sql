-- Usernames are unique within an organisation, not across all of them: one organisation's
-- admin no longer learns another organisation's usernames from "that username is taken".
-- Sign-in names the organisation (its short name, organisations.slug) with the username.
-- Kept in step with migrations/sqlite/0012_usernames_per_organisation.sql.
ALTER TABLE people DROP CONSTRAINT people_username_key;
ALTER TABLE people ADD CONSTRAINT people_organisation_id_username_key UNIQUE (organisation_id, username);
