-- The largest single amount (a recovery, a day's budget, a cap, a boost) an organisation
-- accepts, in major units of whichever currency the amount is in. Keeps every sum far
-- inside 64 bits and stops one mistyped amount from reaching the ledger.
ALTER TABLE organisations ADD COLUMN max_amount_major BIGINT NOT NULL DEFAULT 10000
    CHECK (max_amount_major BETWEEN 1 AND 1000000000);
