//! The ledger's invariants, checked against what is stored. The simulator runs this after
//! every step; an operator could run it against a live database. Each violation is one line
//! naming the rows involved. The queries only read.

use chrono::{DateTime, NaiveDate, Utc};
use domain::budget_day::local_date;

use super::{dispatch, Store, StoreError};

/// One row of a check: a subject (what the rows are) and the figures that disagree.
type Row = (String, i64, i64);

impl Store {
    /// Every invariant the ledger promises, for these organisations. Empty means all hold:
    ///
    /// * each budget day's totals equal its ledger: spent = covered parts not reversed,
    ///   approved excess = approvals not reversed, pending = excess not yet decided;
    /// * spent ≤ allowance on every day (posted ≤ allowance + approved excess);
    /// * no decision, reversal or spot check by the person whose recovery it is;
    /// * nothing covered (posted without a supervisor) on a day that had closed when it was
    ///   recorded;
    /// * every decision, reversal and check is made by someone of the recovery's organisation,
    ///   and every role grant's location belongs to the person's organisation;
    /// * every recovery has its personal row (docs/PRIVACY.md), of the same organisation and
    ///   location.
    pub async fn ledger_violations(
        &self,
        organisation_ids: &[i64],
    ) -> Result<Vec<String>, StoreError> {
        let ids: Vec<String> = organisation_ids.iter().map(i64::to_string).collect();
        let orgs = if ids.is_empty() {
            "(NULL)".to_string()
        } else {
            format!("({})", ids.join(", "))
        };
        let mut out = Vec::new();
        let checks: [(&str, String); 7] = [
            (
                "spent differs from the covered parts not reversed",
                format!(
                    "SELECT 'person ' || b.person_id || ' on ' || b.budget_date, b.spent_minor,
                            CAST(COALESCE((SELECT SUM(r.covered_minor) FROM recoveries r
                                      WHERE r.person_id = b.person_id AND r.budget_date = b.budget_date
                                        AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.recovery_id = r.id)), 0) AS BIGINT)
                     FROM budget_days b WHERE b.organisation_id IN {orgs}"
                ),
            ),
            (
                "approved excess differs from the approvals not reversed",
                format!(
                    "SELECT 'person ' || b.person_id || ' on ' || b.budget_date, b.approved_excess_minor,
                            CAST(COALESCE((SELECT SUM(d.approved_minor) FROM recoveries r
                                      JOIN approval_decisions d ON d.recovery_id = r.id
                                      WHERE r.person_id = b.person_id AND r.budget_date = b.budget_date
                                        AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.recovery_id = r.id)), 0) AS BIGINT)
                     FROM budget_days b WHERE b.organisation_id IN {orgs}"
                ),
            ),
            (
                "pending excess differs from the requests not yet decided",
                format!(
                    "SELECT 'person ' || b.person_id || ' on ' || b.budget_date, b.pending_excess_minor,
                            CAST(COALESCE((SELECT SUM(r.excess_minor) FROM recoveries r
                                      WHERE r.person_id = b.person_id AND r.budget_date = b.budget_date
                                        AND NOT EXISTS (SELECT 1 FROM approval_decisions d WHERE d.recovery_id = r.id)), 0) AS BIGINT)
                     FROM budget_days b WHERE b.organisation_id IN {orgs}"
                ),
            ),
            (
                "spent is over the allowance",
                format!(
                    "SELECT 'person ' || person_id || ' on ' || budget_date, spent_minor, allowance_minor
                     FROM budget_days WHERE organisation_id IN {orgs} AND spent_minor > allowance_minor"
                ),
            ),
            (
                "someone acted on their own recovery (decision 1, reversal 2, check 3)",
                format!(
                    "SELECT 'recovery ' || r.id, r.person_id, CAST(1 AS BIGINT) FROM approval_decisions d
                       JOIN recoveries r ON r.id = d.recovery_id
                      WHERE r.organisation_id IN {orgs} AND d.decided_by = r.person_id
                     UNION ALL
                     SELECT 'recovery ' || r.id, r.person_id, CAST(2 AS BIGINT) FROM reversals v
                       JOIN recoveries r ON r.id = v.recovery_id
                      WHERE r.organisation_id IN {orgs} AND v.reversed_by = r.person_id
                     UNION ALL
                     SELECT 'recovery ' || r.id, r.person_id, CAST(3 AS BIGINT) FROM spot_checks s
                       JOIN recoveries r ON r.id = s.recovery_id
                      WHERE r.organisation_id IN {orgs} AND s.checked_by = r.person_id"
                ),
            ),
            (
                "an actor or a grant crosses organisations",
                format!(
                    "SELECT 'decision on recovery ' || r.id, r.organisation_id, p.organisation_id
                       FROM approval_decisions d JOIN recoveries r ON r.id = d.recovery_id
                       JOIN people p ON p.id = d.decided_by
                      WHERE r.organisation_id IN {orgs} AND p.organisation_id <> r.organisation_id
                     UNION ALL
                     SELECT 'reversal of recovery ' || r.id, r.organisation_id, p.organisation_id
                       FROM reversals v JOIN recoveries r ON r.id = v.recovery_id
                       JOIN people p ON p.id = v.reversed_by
                      WHERE r.organisation_id IN {orgs} AND p.organisation_id <> r.organisation_id
                     UNION ALL
                     SELECT 'grant to person ' || g.person_id, g.organisation_id, COALESCE(l.organisation_id, -1)
                       FROM role_grants g
                       LEFT JOIN locations l ON l.id = g.location_id AND l.organisation_id IN {orgs}
                      WHERE g.organisation_id IN {orgs} AND g.location_id IS NOT NULL
                        AND (l.id IS NULL OR l.organisation_id <> g.organisation_id)"
                ),
            ),
            (
                "personal data is not beside its recovery",
                format!(
                    "SELECT 'recovery ' || r.id, r.organisation_id, COALESCE(rp.organisation_id, -1)
                       FROM recoveries r
                       LEFT JOIN recovery_personal rp ON rp.recovery_id = r.id
                      WHERE r.organisation_id IN {orgs}
                        AND (rp.recovery_id IS NULL OR rp.organisation_id <> r.organisation_id
                             OR rp.location_id <> r.location_id)"
                ),
            ),
        ];
        // Each query reads only these organisations' rows, through their indexes: a grant's
        // location is looked up among these organisations' own locations (one of another
        // organisation is not found there: -1). Joined against every location instead, the
        // check slowed with the size of the whole database (the simulator's shared database
        // holds thousands of organisations).
        for (what, sql) in checks {
            let rows: Vec<Row> = dispatch!(self, pool => {
                sqlx::query_as(&sql).fetch_all(pool).await?
            });
            // The first three compare two figures that must be equal; the rest list
            // offending rows, any of which is a violation.
            let compare = what.contains("differs");
            for (subject, left, right) in rows {
                if !compare || left != right {
                    out.push(format!("{what}: {subject} ({left} vs {right})"));
                }
            }
        }
        // Closed days: the budget date of anything covered must not be before the local
        // date at which it was recorded (time zones are applied here, not in SQL).
        let covered: Vec<(i64, NaiveDate, DateTime<Utc>, String)> = dispatch!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT r.id, r.budget_date, r.recorded_at, l.time_zone FROM recoveries r
                   JOIN locations l ON l.id = r.location_id
                  WHERE r.organisation_id IN {orgs} AND r.covered_minor > 0"
            ))
            .fetch_all(pool)
            .await?
        });
        for (id, budget_date, recorded_at, zone) in covered {
            let zone = crate::columns::zone(&zone)?;
            let then = local_date(recorded_at, zone);
            if budget_date < then {
                out.push(format!(
                    "recovery {id} drew on {budget_date}, a day that had closed when it was recorded ({then})"
                ));
            }
        }
        Ok(out)
    }
}

impl Store {
    /// (id, organisation, request key) of every recovery of these organisations: what the
    /// simulator compares with the recoveries it was told are saved.
    pub async fn recovery_keys(
        &self,
        organisation_ids: &[i64],
    ) -> Result<Vec<(i64, i64, String)>, StoreError> {
        let ids: Vec<String> = organisation_ids.iter().map(i64::to_string).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, organisation_id, idempotency_key FROM recoveries
             WHERE organisation_id IN ({}) ORDER BY id",
            ids.join(", ")
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        }))
    }
}
