-- Every organisation's reads stay within its own rows: the grants and teams of one
-- organisation were found by scanning every organisation's (seen as the simulator's shared
-- database grew to thousands of organisations: each step slowed with the total).
CREATE INDEX role_grants_by_org ON role_grants (organisation_id, person_id);
CREATE INDEX teams_by_org ON teams (organisation_id, location_id);
