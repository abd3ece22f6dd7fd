//! The approval queue's reads, a page at a time and in a fixed number of statements whatever
//! the page holds: the oldest requests, their people's budgets today, each person's recent
//! recoveries and each customer's recent history — one statement each, never one per
//! request.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use domain::{
    ledger::{self, BudgetDay},
    org::Role,
    policy::{resolve_allowance, Holder},
};

use super::{
    dispatch,
    queries::{location_scope_sql, BudgetView, RecoveryRow, RECOVERY_SELECT},
    Store, StoreError,
};

/// Integers as an SQL list (safe to inline).
fn id_list(ids: impl IntoIterator<Item = i64>) -> String {
    let ids: Vec<String> = ids.into_iter().map(|id| id.to_string()).collect();
    if ids.is_empty() {
        "NULL".to_string()
    } else {
        ids.join(", ")
    }
}

/// Dates as an SQL list of ISO literals (formatted from dates, so safe to inline).
fn date_list(dates: impl IntoIterator<Item = NaiveDate>) -> String {
    let dates: Vec<String> = dates
        .into_iter()
        .map(|d| format!("'{}'", d.format("%Y-%m-%d")))
        .collect();
    if dates.is_empty() {
        "NULL".to_string()
    } else {
        dates.join(", ")
    }
}

impl Store {
    /// The oldest `limit` requests waiting for a decision in the scope, and how many wait in
    /// all.
    pub async fn pending_page(
        &self,
        organisation_id: i64,
        scope: Option<&[i64]>,
        limit: i64,
    ) -> Result<(Vec<RecoveryRow>, i64), StoreError> {
        let scoped = location_scope_sql("r.location_id", scope);
        let page = format!(
            "{RECOVERY_SELECT}
             WHERE r.organisation_id = $1 AND r.excess_minor > 0 AND d.id IS NULL{scoped}
             ORDER BY r.recorded_at, r.id
             LIMIT $2"
        );
        let count = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM recoveries r
             LEFT JOIN approval_decisions d ON d.recovery_id = r.id
             WHERE r.organisation_id = $1 AND r.excess_minor > 0 AND d.id IS NULL{scoped}"
        );
        let rows: Vec<RecoveryRow> = dispatch!(self, pool => {
            sqlx::query_as::<_, RecoveryRow>(&page)
                .bind(organisation_id)
                .bind(limit.clamp(1, 500))
                .fetch_all(pool)
                .await?
        });
        // A full page may have more behind it; a short one is everything.
        let total = if (rows.len() as i64) < limit.clamp(1, 500) {
            rows.len() as i64
        } else {
            dispatch!(self, pool => {
                sqlx::query_scalar(&count)
                    .bind(organisation_id)
                    .fetch_one(pool)
                    .await?
            })
        };
        Ok((rows, total))
    }

    /// Each person's budget on their date, as [`Store::budget_view`] shows it, for several
    /// people at once: one statement for where they work, one for their roles, one for the
    /// budget days and one per distinct date for the policies.
    pub async fn budget_views(
        &self,
        organisation_id: i64,
        wanted: &[(i64, NaiveDate)],
    ) -> Result<HashMap<(i64, NaiveDate), BudgetView>, StoreError> {
        let mut out = HashMap::new();
        if wanted.is_empty() {
            return Ok(out);
        }
        let people: BTreeSet<i64> = wanted.iter().map(|(p, _)| *p).collect();
        let dates: BTreeSet<NaiveDate> = wanted.iter().map(|(_, d)| *d).collect();
        let list = id_list(people.iter().copied());
        let homes: Vec<(i64, Option<i64>, String)> = dispatch!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT p.id, p.team_id, l.currency FROM people p JOIN locations l ON l.id = p.location_id
                 WHERE p.organisation_id = $1 AND p.id IN ({list})"
            ))
            .bind(organisation_id)
            .fetch_all(pool)
            .await?
        });
        let grants: Vec<(i64, String)> = dispatch!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT person_id, role FROM role_grants
                 WHERE organisation_id = $1 AND person_id IN ({list})"
            ))
            .bind(organisation_id)
            .fetch_all(pool)
            .await?
        });
        type DayRow = (i64, NaiveDate, i64, i64, i64, i64);
        let days: Vec<DayRow> = dispatch!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT person_id, budget_date, allowance_minor, spent_minor, approved_excess_minor,
                        pending_excess_minor
                 FROM budget_days
                 WHERE organisation_id = $1 AND person_id IN ({list}) AND budget_date IN ({})",
                date_list(dates.iter().copied())
            ))
            .bind(organisation_id)
            .fetch_all(pool)
            .await?
        });
        let mut rules = HashMap::new();
        for date in &dates {
            rules.insert(*date, self.allowance_rules(organisation_id, *date).await?);
        }
        for &(person_id, date) in wanted {
            let Some((_, team_id, currency)) = homes.iter().find(|(id, ..)| *id == person_id)
            else {
                return Err(StoreError::NotFound("person"));
            };
            let roles = grants
                .iter()
                .filter(|(id, _)| *id == person_id)
                .map(|(_, role)| Role::parse(role).map_err(|e| StoreError::Invalid(e.to_string())))
                .collect::<Result<Vec<_>, _>>()?;
            let holder = Holder {
                person_id,
                team_id: *team_id,
                roles,
            };
            let (policies, boosts) = &rules[&date];
            let allowance = resolve_allowance(&holder, policies, boosts, date);
            let stored = days
                .iter()
                .find(|(id, day, ..)| *id == person_id && *day == date)
                .map(|&(_, _, allowance, spent, approved, pending)| BudgetDay {
                    allowance,
                    spent,
                    approved_excess: approved,
                    pending_excess: pending,
                })
                .unwrap_or(BudgetDay {
                    allowance: allowance.daily,
                    ..BudgetDay::default()
                });
            // The next write re-evaluates the allowance; show what it would see.
            let day = ledger::refresh_allowance(stored, allowance.daily);
            out.insert(
                (person_id, date),
                BudgetView {
                    person_id,
                    date,
                    currency: crate::columns::currency(currency)?,
                    allowance_minor: day.allowance,
                    per_recovery_cap_minor: allowance.per_recovery_cap,
                    spent_minor: day.spent,
                    approved_excess_minor: day.approved_excess,
                    pending_excess_minor: day.pending_excess,
                    remaining_minor: day.remaining(),
                },
            );
        }
        Ok(out)
    }

    /// Each person's `per_person` most recent recoveries (newest first), in one statement.
    pub async fn recent_by_person(
        &self,
        organisation_id: i64,
        people: &[i64],
        per_person: i64,
    ) -> Result<HashMap<i64, Vec<RecoveryRow>>, StoreError> {
        let mut out: HashMap<i64, Vec<RecoveryRow>> = HashMap::new();
        if people.is_empty() {
            return Ok(out);
        }
        let list = id_list(people.iter().copied());
        let sql = format!(
            "SELECT * FROM (
                 SELECT q.*, ROW_NUMBER() OVER (PARTITION BY q.person_id ORDER BY q.occurred_at DESC, q.id DESC) AS nth
                 FROM ({RECOVERY_SELECT} WHERE r.organisation_id = $1 AND r.person_id IN ({list})) q
             ) ranked
             WHERE nth <= $2
             ORDER BY person_id, occurred_at DESC, id DESC"
        );
        let rows: Vec<RecoveryRow> = dispatch!(self, pool => {
            sqlx::query_as::<_, RecoveryRow>(&sql)
                .bind(organisation_id)
                .bind(per_person)
                .fetch_all(pool)
                .await?
        });
        for row in rows {
            out.entry(row.person_id).or_default().push(row);
        }
        Ok(out)
    }

    /// The recoveries naming any of these customers (`(location, customer key)`) at that
    /// location on or after `from`, newest first, in one statement.
    pub async fn customer_histories(
        &self,
        organisation_id: i64,
        customers: &[(i64, String)],
        from: NaiveDate,
    ) -> Result<Vec<RecoveryRow>, StoreError> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        let locations = id_list(customers.iter().map(|(l, _)| *l));
        // The keys are bound, never inlined: they are what people typed.
        let keys: Vec<String> = (0..customers.len())
            .map(|i| format!("${}", i + 3))
            .collect();
        let sql = format!(
            "{RECOVERY_SELECT}
             WHERE r.organisation_id = $1 AND r.budget_date >= $2 AND r.location_id IN ({locations})
               AND rp.customer_key IN ({})
             ORDER BY r.occurred_at DESC, r.id DESC
             LIMIT 2000",
            keys.join(", ")
        );
        let rows: Vec<RecoveryRow> = dispatch!(self, pool => {
            let mut query = sqlx::query_as::<_, RecoveryRow>(&sql)
                .bind(organisation_id)
                .bind(from);
            for (_, key) in customers {
                query = query.bind(key);
            }
            query.fetch_all(pool).await?
        });
        // Only each customer's own location (a key may be named at several).
        Ok(rows
            .into_iter()
            .filter(|r| {
                customers.iter().any(|(location, key)| {
                    *location == r.location_id
                        && r.customer_ref
                            .as_deref()
                            .and_then(domain::privacy::customer_key)
                            .as_deref()
                            == Some(key.as_str())
                })
            })
            .collect())
    }
}
