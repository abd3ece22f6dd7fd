//! The learning loop's storage: signal thresholds, improvement items, their links to
//! recoveries and their append-only history. Figures are never stored: they are computed
//! from the linked recoveries each time (see `domain::learning`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{dispatch, queries::location_scope_sql, Store, StoreError, WritePool};
use domain::{
    learning::{ItemStatus, Thresholds, Total},
    money::Currency,
};

/// An improvement item as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ItemRow {
    pub id: i64,
    pub location_id: Option<i64>,
    pub category: Option<String>,
    pub touchpoint: Option<String>,
    pub signal_key: Option<String>,
    pub from_signal: bool,
    pub title: String,
    pub problem: String,
    pub countermeasure: String,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub status: String,
    pub declined_reason: Option<String>,
    pub done_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl ItemRow {
    pub fn status(&self) -> Result<ItemStatus, StoreError> {
        ItemStatus::parse(&self.status).map_err(|e| StoreError::Invalid(e.to_string()))
    }
}

/// A recovery linked to an item (reversed recoveries are left out: they did not happen as
/// logged).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct LinkedRecovery {
    pub item_id: i64,
    pub recovery_id: i64,
    pub location_id: i64,
    pub person_id: i64,
    pub budget_date: NaiveDate,
    pub amount_minor: i64,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub severity: String,
    pub reaction: String,
}

/// Recoveries of one cause (category at touchpoint) within a date range, at one location or
/// (location None) across the organisation. Their cost is per currency: see
/// [`Store::signal_costs`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SignalRow {
    pub location_id: Option<i64>,
    pub category: String,
    pub touchpoint: String,
    pub occurrences: i64,
    pub first_seen: NaiveDate,
    pub last_seen: NaiveDate,
}

/// What the recoveries of one cause (at one location, or across the organisation when
/// `location_id` is None) cost in one currency between two dates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalCost {
    pub location_id: Option<i64>,
    pub category: String,
    pub touchpoint: String,
    pub currency: Currency,
    /// Summed without overflow; saturated (and marked) past `i64::MAX` minor units.
    pub cost: Total,
}

/// A [`SignalCost`] as read: the sum in two parts that cannot overflow (see [`SPLIT_SUM`]).
#[derive(sqlx::FromRow)]
struct SignalCostRow {
    location_id: Option<i64>,
    category: String,
    touchpoint: String,
    #[sqlx(try_from = "String")]
    currency: Currency,
    high_minor: i64,
    low_minor: i64,
}

/// One recovery of a cause, with what the learning figures need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct CauseRecovery {
    pub id: i64,
    pub location_id: i64,
    pub budget_date: NaiveDate,
    pub amount_minor: i64,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub severity: String,
    pub reaction: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ItemEvent {
    pub at: DateTime<Utc>,
    pub actor_name: Option<String>,
    pub kind: String,
    pub detail: String,
}

/// The front line's view: which improvement a recovery fed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RecoveryLink {
    pub recovery_id: i64,
    pub item_id: i64,
    pub title: String,
    pub status: String,
}

/// A new item: proposed by a signal (with a cause) or made by a manager.
#[derive(Clone, Debug)]
pub struct NewItem {
    pub organisation_id: i64,
    pub location_id: Option<i64>,
    pub category: Option<String>,
    pub touchpoint: Option<String>,
    pub from_signal: bool,
    pub title: String,
    pub problem: String,
    pub created_by: Option<i64>,
}

impl NewItem {
    /// The signal key of its cause, if it has one.
    pub fn signal_key(&self) -> Option<String> {
        match (&self.category, &self.touchpoint) {
            (Some(category), Some(touchpoint)) => {
                Some(signal_key(self.location_id, category, touchpoint))
            }
            _ => None,
        }
    }
}

/// "location:3|late-check-in|front-desk" or "organisation|late-check-in|front-desk".
pub fn signal_key(location_id: Option<i64>, category: &str, touchpoint: &str) -> String {
    match location_id {
        Some(id) => format!("location:{id}|{category}|{touchpoint}"),
        None => format!("organisation|{category}|{touchpoint}"),
    }
}

/// What [`Store::cause_probe`] found for one cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CauseProbe {
    /// The open item tracking the cause at its location.
    pub item_here: Option<i64>,
    /// The open item tracking the cause across the organisation.
    pub item_everywhere: Option<i64>,
    /// Recoveries of the cause in the window at its location (not reversed).
    pub here: i64,
    /// The same across the organisation.
    pub everywhere: i64,
}

/// A change to an item, recorded in its history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemChange {
    Status {
        from: ItemStatus,
        to: ItemStatus,
        reason: Option<String>,
        /// The local date it was done (for a move to done).
        on: Option<NaiveDate>,
    },
    Owner(Option<i64>),
    Due(Option<NaiveDate>),
    Countermeasure(String),
    Problem(String),
}

const ITEM_SELECT: &str = "SELECT i.id, i.location_id, i.category, i.touchpoint, i.signal_key, i.from_signal,
        i.title, i.problem, i.countermeasure, i.owner_id, o.display_name AS owner_name, i.due_on, i.status,
        i.declined_reason, i.done_on, i.created_at
    FROM improvement_items i LEFT JOIN people o ON o.id = i.owner_id";

/// Recovery ids linked per statement (well under either database's parameter limit).
const LINKS_PER_STATEMENT: usize = 500;

/// Links `count` recoveries of an organisation to an item in one statement, skipping links
/// that exist, ids of other organisations and ids outside `scope` (a
/// [`location_scope_sql`] condition on `r.location_id`, or ""): $1 item, $2 linked by, $3 at,
/// $4 organisation, then the recovery ids.
fn link_sql(count: usize, scope: &str) -> String {
    let ids = (5..5 + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO improvement_links (item_id, recovery_id, linked_by, linked_at)
         SELECT $1, r.id, $2, $3 FROM recoveries r WHERE r.organisation_id = $4 AND r.id IN ({ids}){scope}
         ON CONFLICT DO NOTHING"
    )
}

/// The divisor of the split sum: 2^32.
const SPLIT: i64 = 4_294_967_296;

/// How the learning queries sum amounts without ever overflowing, on either database: a plain
/// `SUM(amount_minor)` fails on SQLite ("integer overflow") and, cast back to BIGINT, on
/// PostgreSQL ("bigint out of range") once a group passes `i64::MAX` minor units — one
/// absurd recovery is enough. So each amount is summed in two parts, its high part
/// (`amount / 2^32`, below 2^31 for any BIGINT) and its low part (`amount % 2^32`, below
/// 2^32): each part's sum stays within BIGINT for any group of fewer than 2^31 rows. Both
/// databases truncate integer division alike, so `high × 2^32 + low` is the exact sum,
/// recombined in `i128` by [`recombine`] and saturated (with a marker) into `i64`. No
/// floating point touches the amounts.
const SPLIT_SUM: &str = "CAST(SUM(r.amount_minor / 4294967296) AS BIGINT) AS high_minor,
         CAST(SUM(r.amount_minor % 4294967296) AS BIGINT) AS low_minor";

/// The exact sum of a [`SPLIT_SUM`], saturated into a [`Total`].
fn recombine(high_minor: i64, low_minor: i64) -> Total {
    Total::from_wide(i128::from(high_minor) * i128::from(SPLIT) + i128::from(low_minor))
}

impl Store {
    /// The organisation's signal thresholds (the defaults until someone sets them).
    pub async fn learning_thresholds(
        &self,
        organisation_id: i64,
    ) -> Result<Thresholds, StoreError> {
        let row: Option<(i64, i64, i64)> = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT window_days, location_occurrences, organisation_occurrences
                 FROM learning_settings WHERE organisation_id = $1",
            )
            .bind(organisation_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(match row {
            None => Thresholds::default(),
            Some((window, location, organisation)) => Thresholds {
                window_days: u32::try_from(window).unwrap_or(28),
                location_occurrences: u32::try_from(location).unwrap_or(5),
                organisation_occurrences: u32::try_from(organisation).unwrap_or(12),
            },
        })
    }

    pub async fn set_learning_thresholds(
        &self,
        organisation_id: i64,
        thresholds: &Thresholds,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            sqlx::query(
                "INSERT INTO learning_settings (organisation_id, window_days, location_occurrences, organisation_occurrences, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (organisation_id) DO UPDATE SET window_days = excluded.window_days,
                     location_occurrences = excluded.location_occurrences,
                     organisation_occurrences = excluded.organisation_occurrences,
                     updated_at = excluded.updated_at",
            )
            .bind(organisation_id)
            .bind(i64::from(thresholds.window_days))
            .bind(i64::from(thresholds.location_occurrences))
            .bind(i64::from(thresholds.organisation_occurrences))
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Every cause with recoveries between two local dates, per location and (location
    /// None) across the organisation, most frequent first. Reversed recoveries do not count.
    pub async fn signal_groups(
        &self,
        organisation_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SignalRow>, StoreError> {
        let body = "FROM recoveries r LEFT JOIN reversals v ON v.recovery_id = r.id
             WHERE r.organisation_id = $1 AND r.budget_date >= $2 AND r.budget_date <= $3 AND v.id IS NULL";
        let sql = format!(
            "SELECT r.location_id AS location_id, r.category, r.touchpoint, COUNT(*) AS occurrences,
                    MIN(r.budget_date) AS first_seen, MAX(r.budget_date) AS last_seen
             {body} GROUP BY r.location_id, r.category, r.touchpoint
             UNION ALL
             SELECT NULL AS location_id, r.category, r.touchpoint, COUNT(*) AS occurrences,
                    MIN(r.budget_date) AS first_seen, MAX(r.budget_date) AS last_seen
             {body} GROUP BY r.category, r.touchpoint
             ORDER BY occurrences DESC, category, touchpoint"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(from).bind(to).fetch_all(pool).await?
        }))
    }

    /// What each cause with recoveries between two local dates cost, per currency: per
    /// location and (location None) across the organisation — never one currency added to
    /// another. Reversed recoveries do not count. Summed so that it cannot overflow (see
    /// [`SPLIT_SUM`]): a group past `i64::MAX` minor units comes back saturated and marked.
    pub async fn signal_costs(
        &self,
        organisation_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SignalCost>, StoreError> {
        let body = "FROM recoveries r LEFT JOIN reversals v ON v.recovery_id = r.id
             WHERE r.organisation_id = $1 AND r.budget_date >= $2 AND r.budget_date <= $3 AND v.id IS NULL";
        let sql = format!(
            "SELECT r.location_id AS location_id, r.category, r.touchpoint, r.currency, {SPLIT_SUM}
             {body} GROUP BY r.location_id, r.category, r.touchpoint, r.currency
             UNION ALL
             SELECT NULL AS location_id, r.category, r.touchpoint, r.currency, {SPLIT_SUM}
             {body} GROUP BY r.category, r.touchpoint, r.currency
             ORDER BY category, touchpoint, currency"
        );
        let rows: Vec<SignalCostRow> = dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(from).bind(to).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|row| SignalCost {
                location_id: row.location_id,
                category: row.category,
                touchpoint: row.touchpoint,
                currency: row.currency,
                cost: recombine(row.high_minor, row.low_minor),
            })
            .collect())
    }

    /// The (not reversed) recoveries of one cause between two local dates, oldest first.
    pub async fn cause_recoveries(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        category: &str,
        touchpoint: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CauseRecovery>, StoreError> {
        self.cause_recoveries_within(
            organisation_id,
            location_id,
            category,
            touchpoint,
            from,
            to,
            None,
        )
        .await
    }

    /// [`Store::cause_recoveries`], only those at `within_locations` (a viewer's scope; None:
    /// every location) — the scope is a condition of the query.
    #[allow(clippy::too_many_arguments)]
    pub async fn cause_recoveries_within(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        category: &str,
        touchpoint: &str,
        from: NaiveDate,
        to: NaiveDate,
        within_locations: Option<&[i64]>,
    ) -> Result<Vec<CauseRecovery>, StoreError> {
        let scope = location_scope_sql("r.location_id", within_locations);
        let sql = format!(
            "SELECT r.id, r.location_id, r.budget_date, r.amount_minor, r.currency, r.severity, r.reaction
             FROM recoveries r LEFT JOIN reversals v ON v.recovery_id = r.id
             WHERE r.organisation_id = $1 AND ($2 IS NULL OR r.location_id = $2)
               AND r.category = $3 AND r.touchpoint = $4
               AND r.budget_date >= $5 AND r.budget_date <= $6 AND v.id IS NULL{scope}
             ORDER BY r.budget_date, r.id"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql)
            .bind(organisation_id)
            .bind(location_id)
            .bind(category)
            .bind(touchpoint)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Links every recovery of a cause in a window (one location, or everywhere) that is not
    /// reversed to an item, in one statement; links that exist are left as they are. Returns
    /// how many are new. What the signal does each time a recovery of the cause is logged.
    #[allow(clippy::too_many_arguments)]
    pub async fn link_cause_window(
        &self,
        organisation_id: i64,
        item_id: i64,
        location_id: Option<i64>,
        category: &str,
        touchpoint: &str,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        // The scope written per scope (not `$n IS NULL OR …`) so PostgreSQL's generic plan
        // keeps the location index.
        let scope = if location_id.is_some() {
            "AND r.location_id = $8"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO improvement_links (item_id, recovery_id, linked_by, linked_at)
             SELECT $1, r.id, CAST(NULL AS BIGINT), $2 FROM recoveries r
             WHERE r.organisation_id = $3 AND r.category = $4 AND r.touchpoint = $5
               AND r.budget_date >= $6 AND r.budget_date <= $7 {scope}
               AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.recovery_id = r.id)
             ON CONFLICT DO NOTHING"
        );
        Ok(dispatch!(self, pool => {
            let mut insert = sqlx::query(&sql)
                .bind(item_id)
                .bind(now)
                .bind(organisation_id)
                .bind(category)
                .bind(touchpoint)
                .bind(from)
                .bind(to);
            if let Some(location_id) = location_id {
                insert = insert.bind(location_id);
            }
            insert.execute(pool).await?.rows_affected()
        }))
    }

    /// The open item tracking a signal, if there is one.
    /// One statement for the learning check after a recovery: for the cause at its location
    /// and across the organisation, the open item that tracks it (if any) and how many
    /// recoveries of it (not reversed) fall in the window.
    #[allow(clippy::too_many_arguments)]
    pub async fn cause_probe(
        &self,
        organisation_id: i64,
        location_id: i64,
        category: &str,
        touchpoint: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<CauseProbe, StoreError> {
        let row: (Option<i64>, Option<i64>, i64, i64) = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT
                   (SELECT MIN(id) FROM improvement_items WHERE organisation_id = $1 AND signal_key = $2
                      AND status NOT IN ('verified', 'declined')),
                   (SELECT MIN(id) FROM improvement_items WHERE organisation_id = $1 AND signal_key = $3
                      AND status NOT IN ('verified', 'declined')),
                   (SELECT COUNT(*) FROM recoveries r WHERE r.organisation_id = $1 AND r.location_id = $4
                      AND r.category = $5 AND r.touchpoint = $6 AND r.budget_date >= $7 AND r.budget_date <= $8
                      AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.recovery_id = r.id)),
                   (SELECT COUNT(*) FROM recoveries r WHERE r.organisation_id = $1
                      AND r.category = $5 AND r.touchpoint = $6 AND r.budget_date >= $7 AND r.budget_date <= $8
                      AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.recovery_id = r.id))",
            )
            .bind(organisation_id)
            .bind(signal_key(Some(location_id), category, touchpoint))
            .bind(signal_key(None, category, touchpoint))
            .bind(location_id)
            .bind(category)
            .bind(touchpoint)
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await?
        });
        Ok(CauseProbe {
            item_here: row.0,
            item_everywhere: row.1,
            here: row.2,
            everywhere: row.3,
        })
    }

    /// [`Store::link_cause_window`] for up to two open items of one cause (its location's
    /// and the organisation's) in one statement: each item gets the cause's recoveries in the
    /// window within its own scope (its location, or every location); existing links stay.
    #[allow(clippy::too_many_arguments)]
    pub async fn link_cause_windows(
        &self,
        organisation_id: i64,
        items: &[i64],
        category: &str,
        touchpoint: &str,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let (Some(first), last) = (items.first(), items.last()) else {
            return Ok(0);
        };
        let last = last.unwrap_or(first);
        Ok(dispatch!(self, pool => {
            sqlx::query(
                "INSERT INTO improvement_links (item_id, recovery_id, linked_by, linked_at)
                 SELECT i.id, r.id, CAST(NULL AS BIGINT), $2
                 FROM improvement_items i JOIN recoveries r ON r.organisation_id = i.organisation_id
                 WHERE i.organisation_id = $3 AND i.id IN ($1, $8)
                   AND r.category = $4 AND r.touchpoint = $5 AND r.budget_date >= $6 AND r.budget_date <= $7
                   AND (i.location_id IS NULL OR r.location_id = i.location_id)
                   AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.recovery_id = r.id)
                 ON CONFLICT DO NOTHING",
            )
            .bind(*first)
            .bind(now)
            .bind(organisation_id)
            .bind(category)
            .bind(touchpoint)
            .bind(from)
            .bind(to)
            .bind(*last)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    pub async fn open_item_for(
        &self,
        organisation_id: i64,
        signal_key: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_scalar(
                "SELECT id FROM improvement_items WHERE organisation_id = $1 AND signal_key = $2
                   AND status NOT IN ('verified', 'declined')",
            )
            .bind(organisation_id)
            .bind(signal_key)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Refuses ids that are not recoveries of the organisation at `within_locations` (a
    /// manager's scope; None: every location) with `NotFound("recovery")` — the same answer
    /// whether the id does not exist, belongs to another organisation or to a location outside
    /// the scope, so nothing about other locations shows. The scope is a condition of the
    /// query. A recovery never moves between locations, so the answer stays true for the
    /// write that follows.
    pub async fn require_recoveries_within(
        &self,
        organisation_id: i64,
        recovery_ids: &[i64],
        within_locations: Option<&[i64]>,
    ) -> Result<(), StoreError> {
        let scope = location_scope_sql("r.location_id", within_locations);
        let mut wanted = recovery_ids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        for chunk in wanted.chunks(LINKS_PER_STATEMENT) {
            let ids = (2..2 + chunk.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT r.id FROM recoveries r WHERE r.organisation_id = $1 AND r.id IN ({ids}){scope}"
            );
            let found: Vec<i64> = dispatch!(self, pool => {
                let mut select = sqlx::query_scalar::<_, i64>(&sql).bind(organisation_id);
                for recovery_id in chunk {
                    select = select.bind(*recovery_id);
                }
                select.fetch_all(pool).await?
            });
            if found.len() != chunk.len() {
                return Err(StoreError::NotFound("recovery"));
            }
        }
        Ok(())
    }

    /// Creates an item with its first links and history entry, in one transaction. For an
    /// item with a cause, a second open item for the same signal is refused by the database
    /// (`Duplicate`), so two servers proposing at once end with one item. Ids of other
    /// organisations are skipped (what the signal hands in is always its own).
    pub async fn create_item(
        &self,
        item: &NewItem,
        recovery_ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.insert_item(item, recovery_ids, "", now).await
    }

    /// A manager's item: like [`Store::create_item`], but every id must be a recovery of the
    /// organisation at `within_locations` (the manager's scope; None: every location), or
    /// nothing is created and the answer is `NotFound("recovery")`.
    pub async fn create_item_within(
        &self,
        item: &NewItem,
        recovery_ids: &[i64],
        within_locations: Option<&[i64]>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.require_recoveries_within(item.organisation_id, recovery_ids, within_locations)
            .await?;
        let scope = location_scope_sql("r.location_id", within_locations);
        self.insert_item(item, recovery_ids, &scope, now).await
    }

    /// Inserts an item, its links (only recoveries matching `scope` too, a
    /// [`location_scope_sql`] condition or "") and its first history entry.
    async fn insert_item(
        &self,
        item: &NewItem,
        recovery_ids: &[i64],
        scope: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let key = item.signal_key();
        let detail = if item.from_signal {
            format!(
                "Proposed by a recurring-cause signal ({} recoveries)",
                recovery_ids.len()
            )
        } else {
            "Created by hand".to_string()
        };
        // In an async block, so that a unique violation comes back here to be named.
        let created: Result<i64, sqlx::Error> = dispatch!(self, pool => { async {
            let mut tx = pool.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO improvement_items (organisation_id, location_id, category, touchpoint, signal_key, from_signal,
                     title, problem, status, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'proposed', $9, $10, $10) RETURNING id",
            )
            .bind(item.organisation_id)
            .bind(item.location_id)
            .bind(item.category.as_deref())
            .bind(item.touchpoint.as_deref())
            .bind(key.as_deref())
            .bind(item.from_signal)
            .bind(&item.title)
            .bind(&item.problem)
            .bind(item.created_by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for chunk in recovery_ids.chunks(LINKS_PER_STATEMENT) {
                let sql = link_sql(chunk.len(), scope);
                let mut insert = sqlx::query(&sql)
                    .bind(id)
                    .bind(item.created_by)
                    .bind(now)
                    .bind(item.organisation_id);
                for recovery_id in chunk {
                    insert = insert.bind(*recovery_id);
                }
                insert.execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO improvement_events (organisation_id, item_id, actor_id, kind, detail, at)
                 VALUES ($1, $2, $3, 'created', $4, $5)",
            )
            .bind(item.organisation_id)
            .bind(id)
            .bind(item.created_by)
            .bind(&detail)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<i64, sqlx::Error>(id)
        }.await });
        created.map_err(|e| {
            StoreError::duplicate_or(e, || "an open item already tracks this cause".into())
        })
    }

    /// Links recoveries of the organisation to an item (again is a no-op); returns how many
    /// links are new. `by` None = linked by the signal. Ids of other organisations are
    /// skipped.
    pub async fn link_recoveries(
        &self,
        organisation_id: i64,
        item_id: i64,
        recovery_ids: &[i64],
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.item(organisation_id, item_id).await?;
        self.insert_links(organisation_id, item_id, recovery_ids, by, "", now)
            .await
    }

    /// A manager links recoveries by hand: every id must be a recovery of the organisation at
    /// `within_locations` (the manager's scope; None: every location), or nothing is linked
    /// and the answer is `NotFound("recovery")`. Returns how many links are new.
    pub async fn link_recoveries_within(
        &self,
        organisation_id: i64,
        item_id: i64,
        recovery_ids: &[i64],
        by: Option<i64>,
        within_locations: Option<&[i64]>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.item(organisation_id, item_id).await?;
        self.require_recoveries_within(organisation_id, recovery_ids, within_locations)
            .await?;
        let scope = location_scope_sql("r.location_id", within_locations);
        self.insert_links(organisation_id, item_id, recovery_ids, by, &scope, now)
            .await
    }

    /// Inserts links (those matching `scope` too, a [`location_scope_sql`] condition or "")
    /// and, when a person linked new ones, a history entry.
    async fn insert_links(
        &self,
        organisation_id: i64,
        item_id: i64,
        recovery_ids: &[i64],
        by: Option<i64>,
        scope: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut linked = 0;
        for chunk in recovery_ids.chunks(LINKS_PER_STATEMENT) {
            let sql = link_sql(chunk.len(), scope);
            let done = dispatch!(self, pool => {
                let mut insert = sqlx::query(&sql)
                    .bind(item_id)
                    .bind(by)
                    .bind(now)
                    .bind(organisation_id);
                for recovery_id in chunk {
                    insert = insert.bind(*recovery_id);
                }
                insert.execute(pool).await?.rows_affected()
            });
            linked += done;
        }
        if linked > 0 && by.is_some() {
            self.item_event(
                organisation_id,
                item_id,
                by,
                "link",
                &format!("Linked {linked} recoveries"),
                now,
            )
            .await?;
        }
        Ok(linked)
    }

    pub async fn items(&self, organisation_id: i64) -> Result<Vec<ItemRow>, StoreError> {
        let sql = format!("{ITEM_SELECT} WHERE i.organisation_id = $1 ORDER BY i.id");
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).fetch_all(pool).await?
        }))
    }

    pub async fn item(&self, organisation_id: i64, item_id: i64) -> Result<ItemRow, StoreError> {
        let sql = format!("{ITEM_SELECT} WHERE i.organisation_id = $1 AND i.id = $2");
        dispatch!(self, pool => {
            sqlx::query_as(&sql)
                .bind(organisation_id)
                .bind(item_id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound("improvement item"))
        })
    }

    /// Every (not reversed) recovery linked to the organisation's items, or to one item.
    pub async fn linked_recoveries(
        &self,
        organisation_id: i64,
        item_id: Option<i64>,
    ) -> Result<Vec<LinkedRecovery>, StoreError> {
        self.linked_recoveries_within(organisation_id, item_id, None)
            .await
    }

    /// [`Store::linked_recoveries`] as a viewer sees them: only recoveries at
    /// `within_locations` (their scope; None: every location). The scope is a condition of
    /// the query, so recoveries of other locations never leave the database — whatever the
    /// item they are linked to.
    pub async fn linked_recoveries_within(
        &self,
        organisation_id: i64,
        item_id: Option<i64>,
        within_locations: Option<&[i64]>,
    ) -> Result<Vec<LinkedRecovery>, StoreError> {
        let scope = location_scope_sql("r.location_id", within_locations);
        let sql = format!(
            "SELECT l.item_id, r.id AS recovery_id, r.location_id, r.person_id, r.budget_date, r.amount_minor,
                    r.currency, r.severity, r.reaction
             FROM improvement_links l
             JOIN recoveries r ON r.id = l.recovery_id
             LEFT JOIN reversals v ON v.recovery_id = r.id
             WHERE r.organisation_id = $1 AND ($2 IS NULL OR l.item_id = $2) AND v.id IS NULL{scope}
             ORDER BY r.budget_date, r.id"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql)
            .bind(organisation_id)
            .bind(item_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Which items these recoveries fed (for the front line's log).
    pub async fn recovery_links(
        &self,
        organisation_id: i64,
        person_id: i64,
    ) -> Result<Vec<RecoveryLink>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT l.recovery_id, i.id AS item_id, i.title, i.status
                 FROM improvement_links l
                 JOIN improvement_items i ON i.id = l.item_id
                 JOIN recoveries r ON r.id = l.recovery_id
                 WHERE i.organisation_id = $1 AND r.person_id = $2
                 ORDER BY l.recovery_id, i.id",
            )
            .bind(organisation_id)
            .bind(person_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Applies a change to an item and records it in the history, in one transaction. A
    /// status change names the status it expects to leave: if someone moved the item in the
    /// meantime, it is refused as a conflict.
    pub async fn change_item(
        &self,
        organisation_id: i64,
        item_id: i64,
        change: &ItemChange,
        actor: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let detail = match change {
            ItemChange::Status {
                from, to, reason, ..
            } => match reason {
                Some(reason) => format!("{} → {}: {reason}", from.label(), to.label()),
                None => format!("{} → {}", from.label(), to.label()),
            },
            ItemChange::Owner(_) => String::new(),
            ItemChange::Due(due) => {
                due.map_or_else(|| "No due date".to_string(), |d| format!("Due {d}"))
            }
            ItemChange::Countermeasure(text) => format!("Countermeasure: {text}"),
            ItemChange::Problem(text) => format!("Problem: {text}"),
        };
        let (status, text, date, expected, owner) = match change {
            ItemChange::Status {
                from,
                to,
                reason,
                on,
            } => (
                Some(to.as_str()),
                reason.clone(),
                *on,
                Some(from.as_str()),
                None,
            ),
            ItemChange::Owner(owner) => (None, None, None, None, *owner),
            ItemChange::Due(due) => (None, None, *due, None, None),
            ItemChange::Countermeasure(text) | ItemChange::Problem(text) => {
                (None, Some(text.clone()), None, None, None)
            }
        };
        let kind = match change {
            ItemChange::Status { .. } => "status",
            ItemChange::Owner(_) => "owner",
            ItemChange::Due(_) => "due",
            ItemChange::Countermeasure(_) => "countermeasure",
            ItemChange::Problem(_) => "problem",
        };
        // One statement for every kind of change ($9), so both drivers see the same
        // parameters; a status change only applies from the status it expects ($7).
        let sql = "UPDATE improvement_items SET
                status = CASE WHEN $9 = 'status' THEN $3 ELSE status END,
                declined_reason = CASE WHEN $9 = 'status' AND $3 = 'declined' THEN $4 ELSE declined_reason END,
                done_on = CASE WHEN $9 = 'status' AND $3 = 'done' THEN $5 ELSE done_on END,
                due_on = CASE WHEN $9 = 'due' THEN $5 ELSE due_on END,
                countermeasure = CASE WHEN $9 = 'countermeasure' THEN $4 ELSE countermeasure END,
                problem = CASE WHEN $9 = 'problem' THEN $4 ELSE problem END,
                owner_id = CASE WHEN $9 = 'owner' THEN $8 ELSE owner_id END,
                updated_at = $6
            WHERE organisation_id = $1 AND id = $2 AND ($7 IS NULL OR status = $7)";
        let outcome: Result<u64, StoreError> = dispatch!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if let ItemChange::Owner(Some(owner)) = change {
                let known: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1 AND organisation_id = $2")
                    .bind(owner)
                    .bind(organisation_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if known.is_none() {
                    return Err(StoreError::NotFound("person"));
                }
            }
            let changed = sqlx::query(sql)
                .bind(organisation_id)
                .bind(item_id)
                .bind(status)
                .bind(text.as_deref())
                .bind(date)
                .bind(now)
                .bind(expected)
                .bind(owner)
                .bind(kind)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 1 {
                let detail = match change {
                    ItemChange::Owner(None) => "No owner".to_string(),
                    ItemChange::Owner(Some(owner)) => sqlx::query_scalar::<_, String>("SELECT display_name FROM people WHERE id = $1")
                        .bind(owner)
                        .fetch_one(&mut *tx)
                        .await
                        .map(|name| format!("Owner: {name}"))?,
                    _ => detail.clone(),
                };
                sqlx::query(
                    "INSERT INTO improvement_events (organisation_id, item_id, actor_id, kind, detail, at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(organisation_id)
                .bind(item_id)
                .bind(actor)
                .bind(kind)
                .bind(&detail)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            Ok(changed)
        });
        match outcome? {
            1 => Ok(()),
            _ => {
                self.item(organisation_id, item_id).await?;
                Err(StoreError::Duplicate(
                    "the item was changed meanwhile; reload to see its status".into(),
                ))
            }
        }
    }

    /// Adds a comment (or any other entry) to an item's history.
    pub async fn item_event(
        &self,
        organisation_id: i64,
        item_id: i64,
        actor: Option<i64>,
        kind: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let inserted = dispatch!(self, pool => {
            sqlx::query(
                "INSERT INTO improvement_events (organisation_id, item_id, actor_id, kind, detail, at)
                 SELECT i.organisation_id, i.id, $3, $4, $5, $6 FROM improvement_items i
                 WHERE i.id = $2 AND i.organisation_id = $1",
            )
            .bind(organisation_id)
            .bind(item_id)
            .bind(actor)
            .bind(kind)
            .bind(detail)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if inserted == 0 {
            return Err(StoreError::NotFound("improvement item"));
        }
        Ok(())
    }

    /// An item's history, oldest first.
    pub async fn item_events(
        &self,
        organisation_id: i64,
        item_id: i64,
    ) -> Result<Vec<ItemEvent>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT e.at, p.display_name AS actor_name, e.kind, e.detail
                 FROM improvement_events e LEFT JOIN people p ON p.id = e.actor_id
                 WHERE e.organisation_id = $1 AND e.item_id = $2 ORDER BY e.id",
            )
            .bind(organisation_id)
            .bind(item_id)
            .fetch_all(pool)
            .await?
        }))
    }
}
