-- Who set a budget policy or added a boost (NULL: the system — provisioning, the demo seed).
-- A policy or boost never counts towards the budget of the person who set it, so nobody
-- raises their own allowance, even through an organisation-wide default.
ALTER TABLE budget_policies ADD COLUMN set_by INTEGER REFERENCES people (id);
ALTER TABLE budget_boosts ADD COLUMN set_by INTEGER REFERENCES people (id);
