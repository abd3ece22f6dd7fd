//! The supervisor console beyond the approval queue: spend per person and team against
//! allowance over a day or a range, the review of recoveries with filters and reversal, the
//! daily sampled review, and the decisions a supervisor made (their own log). Every function
//! sees only the locations where the caller supervises.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{error::ApiError, recoveries::Choice};

/// Longest range the spend and review screens cover, in days.
pub const MAX_RANGE_DAYS: i64 = 92;

/// One person's or team's spend against allowance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendLine {
    pub id: i64,
    pub name: String,
    pub location: String,
    /// The person's team (empty for a team's own line).
    pub team: String,
    pub recoveries: i64,
    pub spent: String,
    pub allowance: String,
    /// Posted spend as a share of the allowance over the range, in percent.
    pub used_percent: i64,
    pub pending: i64,
    pub open_follow_ups: i64,
    pub overdue_follow_ups: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendReport {
    /// The range shown, as ISO dates for the picker.
    pub from: String,
    pub to: String,
    /// "Mon 23 Nov 2026" or "16 Nov – 22 Nov 2026".
    pub title: String,
    pub people: Vec<SpendLine>,
    pub teams: Vec<SpendLine>,
    pub pending: i64,
    pub open_follow_ups: i64,
    pub overdue_follow_ups: i64,
}

/// The review screen's filters, as the page's address carries them ("" or absent = any).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewQuery {
    pub from: String,
    pub to: String,
    pub location: String,
    pub team: String,
    pub person: String,
    pub category: String,
    pub remedy: String,
    pub status: String,
    pub min: String,
    pub max: String,
    pub sort: String,
}

impl ReviewQuery {
    /// Builds the query from the address's parameters.
    pub fn from_pairs(get: impl Fn(&str) -> Option<String>) -> ReviewQuery {
        let field = |name: &str| get(name).unwrap_or_default();
        ReviewQuery {
            from: field("from"),
            to: field("to"),
            location: field("location"),
            team: field("team"),
            person: field("person"),
            category: field("category"),
            remedy: field("remedy"),
            status: field("status"),
            min: field("min"),
            max: field("max"),
            sort: field("sort"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRow {
    pub recovery_id: i64,
    pub person: String,
    pub location: String,
    pub when: String,
    pub category: String,
    pub remedy: String,
    pub description: String,
    pub touchpoint: String,
    pub reaction: String,
    pub customer_ref: Option<String>,
    pub amount: String,
    pub covered: String,
    pub status: String,
    pub status_label: String,
    /// Who decided or reversed it, and why.
    pub history: Vec<String>,
    /// The sampled review's verdict, if checked.
    pub spot_check: Option<String>,
    /// The caller may reverse it (posted or decided, not reversed, not their own).
    pub reversible: bool,
    /// A fresh idempotency key for reversing from this page.
    pub reversal_key: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewOptions {
    pub locations: Vec<Choice>,
    pub teams: Vec<Choice>,
    pub people: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub remedies: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub sorts: Vec<Choice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPage {
    /// The filters as applied (dates filled in).
    pub query: ReviewQuery,
    pub options: ReviewOptions,
    pub rows: Vec<ReviewRow>,
    /// More recoveries match than are listed.
    pub truncated: bool,
}

/// Rows listed at most on one review page.
pub const REVIEW_LIMIT: i64 = 200;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleItem {
    pub recovery_id: i64,
    pub person: String,
    pub location: String,
    pub when: String,
    pub what: String,
    pub done: String,
    pub amount: String,
    pub reaction: String,
    /// "Looks right — Ana Costa" once checked.
    pub verdict: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleView {
    /// "Recoveries within budget from 16 Nov to 22 Nov".
    pub window: String,
    pub items: Vec<SampleItem>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionView {
    pub at: String,
    pub action: String,
    pub person: String,
    pub amount: String,
    pub reason: Option<String>,
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use std::collections::HashMap;

    use chrono::NaiveDate;

    use super::*;
    use crate::{
        api::caller::Caller,
        domain::{
            budget_day::{local_date, parse_time_zone},
            money::Currency,
            org::Role,
            policy::{resolve_allowance, Allowance, Boost, BudgetPolicy, Holder},
            review::Verdict,
        },
        store::{organisations::Location, queries::RecoveryRow, Store},
    };

    /// A date typed into a filter: "" is none.
    pub fn date(text: &str, field: &str) -> Result<Option<NaiveDate>, ApiError> {
        match text.trim() {
            "" => Ok(None),
            text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| ApiError::Validation(format!("{field}: use a date like 2026-11-23."))),
        }
    }

    /// A from–to range: both empty = `default`; one empty = that one day; at most
    /// [`MAX_RANGE_DAYS`] long.
    pub fn range(
        from: &str,
        to: &str,
        default: (NaiveDate, NaiveDate),
    ) -> Result<(NaiveDate, NaiveDate), ApiError> {
        let (from, to) = match (date(from, "From")?, date(to, "To")?) {
            (None, None) => default,
            (Some(day), None) | (None, Some(day)) => (day, day),
            (Some(from), Some(to)) => (from, to),
        };
        if from > to {
            return Err(ApiError::Validation(
                "The range ends before it starts: put the earlier date first.".into(),
            ));
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(ApiError::Validation(format!(
                "Choose a range of at most {MAX_RANGE_DAYS} days."
            )));
        }
        Ok((from, to))
    }

    pub fn title(from: NaiveDate, to: NaiveDate) -> String {
        if from == to {
            from.format("%a %d %b %Y").to_string()
        } else {
            format!("{} – {}", from.format("%d %b"), to.format("%d %b %Y"))
        }
    }

    /// The caller's supervised locations (all of them for an organisation-wide grant).
    pub async fn supervised(
        store: &Store,
        caller: &Caller,
    ) -> Result<(Option<Vec<i64>>, Vec<Location>), ApiError> {
        let scope = caller.scope_of(Role::Supervisor);
        let locations = store
            .locations(caller.organisation_id)
            .await?
            .into_iter()
            .filter(|l| scope.as_ref().is_none_or(|ids| ids.contains(&l.id)))
            .collect();
        Ok((scope, locations))
    }

    /// Today at the caller's home location.
    pub async fn today(
        store: &Store,
        caller: &Caller,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<NaiveDate, ApiError> {
        let home = store
            .locations(caller.organisation_id)
            .await?
            .into_iter()
            .find(|l| l.id == caller.home_location_id)
            .ok_or(ApiError::Internal)?;
        let zone = parse_time_zone(&home.time_zone).map_err(|_| ApiError::Internal)?;
        Ok(local_date(now, zone))
    }

    pub fn currency_of(location: &Location) -> Result<Currency, ApiError> {
        Currency::parse(&location.currency).map_err(|_| ApiError::Internal)
    }

    /// What people may spend: the policies, the boosts running from a date, and each
    /// person's roles — loaded once, then evaluated per person and day.
    pub struct Allowances {
        policies: Vec<BudgetPolicy>,
        boosts: Vec<Boost>,
        roles: HashMap<i64, Vec<Role>>,
    }

    impl Allowances {
        pub async fn load(
            store: &Store,
            organisation_id: i64,
            from: NaiveDate,
        ) -> Result<Allowances, ApiError> {
            let mut roles: HashMap<i64, Vec<Role>> = HashMap::new();
            for (person, role, _) in store.role_grants(organisation_id).await? {
                roles.entry(person).or_default().push(role);
            }
            Ok(Allowances {
                policies: store.policies(organisation_id).await?,
                boosts: store.boosts(organisation_id, from).await?,
                roles,
            })
        }

        /// What a person may spend on a date under the current policies and boosts.
        pub fn on(&self, person_id: i64, team_id: Option<i64>, date: NaiveDate) -> Allowance {
            let holder = Holder {
                person_id,
                team_id,
                roles: self.roles.get(&person_id).cloned().unwrap_or_default(),
            };
            resolve_allowance(&holder, &self.policies, &self.boosts, date)
        }

        pub fn policies(&self) -> &[BudgetPolicy] {
            &self.policies
        }

        pub fn boosts(&self) -> &[Boost] {
            &self.boosts
        }
    }

    /// "Looks right — Ana Costa" for a recovery the sampled review checked.
    pub fn spot_verdict(row: &RecoveryRow) -> Option<String> {
        row.spot_verdict.as_deref().map(|v| {
            format!(
                "{} — {}",
                Verdict::parse(v).map_or("Checked", |v| v.label()),
                row.spot_checked_by_name.as_deref().unwrap_or_default()
            )
        })
    }

    pub fn percent(part: i64, whole: i64) -> i64 {
        if whole <= 0 {
            0
        } else {
            i64::try_from((i128::from(part) * 100) / i128::from(whole)).unwrap_or(i64::MAX)
        }
    }
}

/// Spend per person and per team against allowance over a day or a range (default today),
/// with pending requests and open and overdue follow-ups.
#[server(endpoint = "console/spend")]
pub async fn spend_overview(from: String, to: String) -> Result<SpendReport, ApiError> {
    use std::collections::HashMap;

    use crate::domain::money::format_with_code;
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    let store = &request.state.store;
    let org = caller.organisation_id;
    let today = server::today(store, &caller, request.now).await?;
    let (from, to) = server::range(&from, &to, (today, today))?;
    let (scope, locations) = server::supervised(store, &caller).await?;
    let scope = scope.as_deref();

    let spend = store.spend_by_person(org, scope, from, to).await?;
    let stored: HashMap<(i64, chrono::NaiveDate), i64> = store
        .stored_allowances(org, scope, from, to)
        .await?
        .into_iter()
        .map(|(person, date, allowance)| ((person, date), allowance))
        .collect();
    let follow_ups: HashMap<i64, (i64, i64)> = store
        .follow_up_counts(org, scope, request.now)
        .await?
        .into_iter()
        .map(|c| (c.person_id, (c.open, c.overdue)))
        .collect();
    let allowances = server::Allowances::load(store, org, from).await?;
    let teams = store.teams(org).await?;
    let team_name = |id: Option<i64>| {
        id.and_then(|id| teams.iter().find(|t| t.id == id))
            .map_or_else(String::new, |t| t.name.clone())
    };
    let days: Vec<chrono::NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();

    struct Totals {
        location_id: i64,
        recoveries: i64,
        spent: i64,
        allowance: i64,
        pending: i64,
        open: i64,
        overdue: i64,
    }
    let mut people = Vec::new();
    let mut by_team: Vec<(i64, Totals)> = Vec::new();
    let (mut pending, mut open_total, mut overdue_total) = (0, 0, 0);
    for row in spend {
        let Some(location) = locations.iter().find(|l| l.id == row.location_id) else {
            continue;
        };
        let currency = server::currency_of(location)?;
        // A past day's allowance is what its budget evaluations stored; a day without
        // any recovery is what the policies give that day.
        let allowance: i64 = days
            .iter()
            .map(|day| {
                stored
                    .get(&(row.person_id, *day))
                    .copied()
                    .unwrap_or_else(|| allowances.on(row.person_id, row.team_id, *day).daily)
            })
            .fold(0_i64, i64::saturating_add);
        let (open, overdue) = follow_ups.get(&row.person_id).copied().unwrap_or_default();
        pending += row.pending;
        open_total += open;
        overdue_total += overdue;
        if let Some(team_id) = row.team_id {
            let index = match by_team.iter().position(|(id, _)| *id == team_id) {
                Some(index) => index,
                None => {
                    by_team.push((
                        team_id,
                        Totals {
                            location_id: row.location_id,
                            recoveries: 0,
                            spent: 0,
                            allowance: 0,
                            pending: 0,
                            open: 0,
                            overdue: 0,
                        },
                    ));
                    by_team.len() - 1
                }
            };
            let totals = &mut by_team[index].1;
            totals.recoveries += row.recoveries;
            totals.spent = totals.spent.saturating_add(row.posted_minor);
            totals.allowance = totals.allowance.saturating_add(allowance);
            totals.pending += row.pending;
            totals.open += open;
            totals.overdue += overdue;
        }
        people.push(SpendLine {
            id: row.person_id,
            name: row.person_name,
            location: location.name.clone(),
            team: team_name(row.team_id),
            recoveries: row.recoveries,
            spent: format_with_code(row.posted_minor, currency),
            allowance: format_with_code(allowance, currency),
            used_percent: server::percent(row.posted_minor, allowance),
            pending: row.pending,
            open_follow_ups: open,
            overdue_follow_ups: overdue,
        });
    }
    let mut team_lines = Vec::new();
    for (team_id, totals) in by_team {
        let location = locations
            .iter()
            .find(|l| l.id == totals.location_id)
            .ok_or(ApiError::Internal)?;
        let currency = server::currency_of(location)?;
        team_lines.push(SpendLine {
            id: team_id,
            name: team_name(Some(team_id)),
            location: location.name.clone(),
            team: String::new(),
            recoveries: totals.recoveries,
            spent: format_with_code(totals.spent, currency),
            allowance: format_with_code(totals.allowance, currency),
            used_percent: server::percent(totals.spent, totals.allowance),
            pending: totals.pending,
            open_follow_ups: totals.open,
            overdue_follow_ups: totals.overdue,
        });
    }
    team_lines.sort_by(|a, b| (&a.location, &a.name).cmp(&(&b.location, &b.name)));
    Ok(SpendReport {
        from: from.to_string(),
        to: to.to_string(),
        title: server::title(from, to),
        people,
        teams: team_lines,
        pending,
        open_follow_ups: open_total,
        overdue_follow_ups: overdue_total,
    })
}

/// Recoveries in the caller's locations matching the filters (default: the last 7 days),
/// each with its history and whether the caller may reverse it.
#[server(endpoint = "console/review")]
pub async fn review_recoveries(
    #[server(flatten)] query: ReviewQuery,
) -> Result<ReviewPage, ApiError> {
    use crate::{
        api::recoveries::server::{label_of, labels},
        domain::{
            ledger::RecoveryStatus,
            money::{format_with_code, parse_amount, Currency},
            org::TaxonomyKind,
        },
        store::queries::{RecoveryFilter, ReviewSort},
    };
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    let store = &request.state.store;
    let org = caller.organisation_id;
    let today = server::today(store, &caller, request.now).await?;
    let (from, to) = server::range(
        &query.from,
        &query.to,
        (today - chrono::Duration::days(6), today),
    )?;
    let (scope, locations) = server::supervised(store, &caller).await?;
    let id = |text: &str, what: &str| -> Result<Option<i64>, ApiError> {
        match text.trim() {
            "" => Ok(None),
            text => text
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::Validation(format!("Choose a {what} from the list."))),
        }
    };
    let location_id = id(&query.location, "location")?;
    if let Some(location_id) = location_id {
        if !locations.iter().any(|l| l.id == location_id) {
            return Err(ApiError::NotFound("location".into()));
        }
    }
    // Amounts are typed in the currency of the locations shown; with a mix of currencies
    // the bounds use the first one's exponent (all of the demo's have two decimals).
    let currency = locations
        .iter()
        .find(|l| Some(l.id) == location_id)
        .or(locations.first())
        .map(server::currency_of)
        .transpose()?
        .unwrap_or(Currency::parse("EUR").map_err(|_| ApiError::Internal)?);
    let amount = |text: &str, field: &str| -> Result<Option<i64>, ApiError> {
        match text.trim() {
            "" => Ok(None),
            text => parse_amount(text, currency)
                .map(Some)
                .map_err(|e| ApiError::Validation(format!("{field}: {e}"))),
        }
    };
    let status = match query.status.trim() {
        "" => None,
        text => Some(
            RecoveryStatus::parse(text)
                .map_err(|_| ApiError::Validation("Choose a status from the list.".into()))?,
        ),
    };
    let sort = match query.sort.trim() {
        "" => ReviewSort::Newest,
        text => ReviewSort::parse(text)
            .ok_or_else(|| ApiError::Validation("Choose an order from the list.".into()))?,
    };
    let text = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    let filter = RecoveryFilter {
        from: Some(from),
        to: Some(to),
        location_id,
        within_locations: scope.clone(),
        team_id: id(&query.team, "team")?,
        person_id: id(&query.person, "person")?,
        category: text(&query.category),
        touchpoint: None,
        remedy: text(&query.remedy),
        status,
        min_amount: amount(&query.min, "Smallest amount")?,
        max_amount: amount(&query.max, "Largest amount")?,
        sort,
        limit: Some(REVIEW_LIMIT + 1),
    };
    let mut rows = store.recoveries(org, &filter).await?;
    let truncated = rows.len() as i64 > REVIEW_LIMIT;
    rows.truncate(REVIEW_LIMIT as usize);

    let taxonomy = store.taxonomy(org).await?;
    let categories = labels(&taxonomy, TaxonomyKind::Category);
    let remedies = labels(&taxonomy, TaxonomyKind::Remedy);
    let touchpoints = labels(&taxonomy, TaxonomyKind::Touchpoint);
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let location = locations
            .iter()
            .find(|l| l.id == row.location_id)
            .ok_or(ApiError::Internal)?;
        let zone = parse_zone(&location.time_zone)?;
        let currency = Currency::parse(&row.currency).map_err(|_| ApiError::Internal)?;
        let money = |minor| format_with_code(minor, currency);
        let status = row.status();
        let mut history = Vec::new();
        if let (Some(outcome), Some(by)) = (&row.outcome, &row.decided_by_name) {
            history.push(match (outcome.as_str(), &row.decision_reason) {
                ("denied", Some(reason)) => format!("Denied by {by}: {reason}"),
                _ => format!(
                    "{} by {by}: {}",
                    crate::domain::ledger::ResolutionKind::parse(outcome)
                        .map(|k| k.label())
                        .unwrap_or("Decided"),
                    money(row.approved_minor.unwrap_or(0))
                ),
            });
        }
        if let (Some(reason), Some(by)) = (&row.reversal_reason, &row.reversed_by_name) {
            history.push(format!("Reversed by {by}: {reason}"));
        }
        let spot_check = server::spot_verdict(&row).map(|verdict| match row.spot_note.as_deref() {
            Some(note) if !note.is_empty() => format!("{verdict}: {note}"),
            _ => verdict,
        });
        out.push(ReviewRow {
            recovery_id: row.id,
            person: row.person_name.clone(),
            location: location.name.clone(),
            when: row
                .occurred_at
                .with_timezone(&zone)
                .format("%a %d %b %H:%M")
                .to_string(),
            category: label_of(&categories, &row.category),
            remedy: label_of(&remedies, &row.remedy),
            description: row.description.clone(),
            touchpoint: label_of(&touchpoints, &row.touchpoint),
            reaction: row.reaction.clone(),
            customer_ref: row.customer_ref.clone(),
            amount: money(row.amount_minor),
            covered: money(row.posted_minor()),
            status: status.as_str().to_string(),
            status_label: status.label().to_string(),
            history,
            spot_check,
            reversible: row.person_id != caller.person_id
                && crate::domain::ledger::check_reversible(status).is_ok(),
            reversal_key: crate::auth::session::new_token()[..32].to_string(),
        });
    }

    let people = store.people(org).await?;
    let teams = store.teams(org).await?;
    let in_scope = |location_id: i64| locations.iter().any(|l| l.id == location_id);
    let options = ReviewOptions {
        locations: locations
            .iter()
            .map(|l| Choice {
                code: l.id.to_string(),
                label: l.name.clone(),
            })
            .collect(),
        teams: teams
            .iter()
            .filter(|t| in_scope(t.location_id))
            .map(|t| Choice {
                code: t.id.to_string(),
                label: t.name.clone(),
            })
            .collect(),
        people: people
            .iter()
            .filter(|p| in_scope(p.location_id))
            .map(|p| Choice {
                code: p.id.to_string(),
                label: p.display_name.clone(),
            })
            .collect(),
        categories,
        remedies,
        statuses: RecoveryStatus::ALL
            .iter()
            .map(|s| Choice {
                code: s.as_str().to_string(),
                label: s.label().to_string(),
            })
            .collect(),
        sorts: ReviewSort::ALL
            .iter()
            .map(|s| Choice {
                code: s.as_str().to_string(),
                label: s.label().to_string(),
            })
            .collect(),
    };
    Ok(ReviewPage {
        query: ReviewQuery {
            from: from.to_string(),
            to: to.to_string(),
            sort: sort.as_str().to_string(),
            ..query
        },
        options,
        rows: out,
        truncated,
    })
}

#[cfg(feature = "ssr")]
fn parse_zone(zone: &str) -> Result<chrono_tz::Tz, ApiError> {
    crate::domain::budget_day::parse_time_zone(zone).map_err(|_| ApiError::Internal)
}

/// Reverses a posted or decided recovery with a reason: a reversing entry gives its budget
/// back, shows in the person's log and the supervisor's, and is audited.
#[server(endpoint = "console/reverse")]
pub async fn reverse_entry(
    recovery_id: i64,
    reason: String,
    idempotency_key: String,
) -> Result<String, ApiError> {
    use crate::domain::money::format_with_code;
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    let (receipt, row, currency) = crate::services::ledger::reverse(
        &request.state.store,
        &request.state.events,
        &caller.actor,
        recovery_id,
        &reason,
        &idempotency_key,
        request.now,
    )
    .await?;
    let returned = format_with_code(
        receipt
            .reversed_covered_minor
            .saturating_add(receipt.reversed_approved_minor),
        currency,
    );
    Ok(format!(
        "Reversed {}'s recovery: {returned} back in the budget of {}.",
        row.person_name,
        row.budget_date.format("%a %d %b")
    ))
}

/// Today's sample of within-budget recoveries from the last seven days, for a quick
/// "looks right / needs a talk" check.
#[server(endpoint = "console/sample")]
pub async fn daily_sample() -> Result<SampleView, ApiError> {
    use crate::{
        api::recoveries::server::{label_of, labels},
        domain::{
            money::{format_with_code, Currency},
            org::TaxonomyKind,
            review,
        },
    };
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    let store = &request.state.store;
    let org = caller.organisation_id;
    let today = server::today(store, &caller, request.now).await?;
    let (from, to) = review::sample_window(today);
    let (scope, locations) = server::supervised(store, &caller).await?;
    let candidates = store
        .sample_candidates(org, scope.as_deref(), from, to, caller.person_id)
        .await?;
    let chosen = review::daily_sample(&candidates, org, today, review::SAMPLE_SIZE);
    let taxonomy = store.taxonomy(org).await?;
    let categories = labels(&taxonomy, TaxonomyKind::Category);
    let remedies = labels(&taxonomy, TaxonomyKind::Remedy);
    let mut items = Vec::with_capacity(chosen.len());
    for id in chosen {
        let row = store.recovery(org, id).await?;
        let location = locations
            .iter()
            .find(|l| l.id == row.location_id)
            .ok_or(ApiError::Internal)?;
        let zone = parse_zone(&location.time_zone)?;
        let currency = Currency::parse(&row.currency).map_err(|_| ApiError::Internal)?;
        items.push(SampleItem {
            recovery_id: row.id,
            person: row.person_name.clone(),
            location: location.name.clone(),
            when: row
                .occurred_at
                .with_timezone(&zone)
                .format("%a %d %b %H:%M")
                .to_string(),
            what: match row.description.as_str() {
                "" => label_of(&categories, &row.category),
                text => format!("{} — {text}", label_of(&categories, &row.category)),
            },
            done: label_of(&remedies, &row.remedy),
            amount: format_with_code(row.amount_minor, currency),
            reaction: row.reaction.clone(),
            verdict: server::spot_verdict(&row),
            note: row.spot_note.clone().filter(|n| !n.is_empty()),
        });
    }
    Ok(SampleView {
        window: format!(
            "Recoveries within budget from {} to {}",
            from.format("%a %d %b"),
            to.format("%a %d %b")
        ),
        items,
    })
}

/// Records the sampled review's verdict on a recovery: "looks-right" or "needs-a-talk"
/// (which needs a note).
#[server(endpoint = "console/spot-check")]
pub async fn spot_check(recovery_id: i64, verdict: String, note: String) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    crate::services::ledger::spot_check(
        &request.state.store,
        &caller.actor,
        recovery_id,
        &verdict,
        &note,
        request.now,
    )
    .await?;
    Ok(())
}

/// The decisions and reversals I made in the last 30 days, newest first.
#[server(endpoint = "my-actions")]
pub async fn my_actions() -> Result<Vec<ActionView>, ApiError> {
    use crate::domain::{
        ledger::ResolutionKind,
        money::{format_with_code, Currency},
    };
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    let store = &request.state.store;
    let (_, zone, _) = crate::api::recoveries::server::home(store, &caller).await?;
    let since = request.now - chrono::Duration::days(30);
    Ok(store
        .actions_by(caller.organisation_id, caller.person_id, since)
        .await?
        .into_iter()
        .map(|a| ActionView {
            at: a
                .at
                .with_timezone(&zone)
                .format("%a %d %b %H:%M")
                .to_string(),
            action: match a.action.as_str() {
                "reversed" => "Reversed".to_string(),
                other => ResolutionKind::parse(other)
                    .map(|k| k.label().to_string())
                    .unwrap_or_else(|_| other.to_string()),
            },
            person: a.person_name,
            amount: Currency::parse(&a.currency)
                .map(|c| format_with_code(a.amount_minor, c))
                .unwrap_or_default(),
            reason: a.reason,
        })
        .collect())
}

/// A person's or team's budget as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLine {
    /// "person:12" or "team:3": what the budget forms send.
    pub scope: String,
    pub name: String,
    pub location: String,
    /// What the person may spend today, boosts included (empty for a team).
    pub today: String,
    /// Their own policy, if one is set: "40.00 EUR a day, at most 25.00 EUR a recovery".
    pub own_policy: Option<String>,
    /// Boosts running today or later: "+20.00 EUR a day, 24 Nov – 30 Nov".
    pub boosts: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetsView {
    pub today: String,
    pub people: Vec<BudgetLine>,
    pub teams: Vec<BudgetLine>,
}

/// The budgets of the people and teams in the caller's locations: today's allowance, their
/// own policy and running boosts. Changes go through `admin/set-policy` and `admin/add-boost`.
#[server(endpoint = "console/budgets")]
pub async fn budgets_overview() -> Result<BudgetsView, ApiError> {
    use crate::domain::{money::format_with_code, policy::PolicyScope};
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    let store = &request.state.store;
    let org = caller.organisation_id;
    let today = server::today(store, &caller, request.now).await?;
    let (_, locations) = server::supervised(store, &caller).await?;
    let allowances = server::Allowances::load(store, org, today).await?;
    let (policies, boosts) = (allowances.policies(), allowances.boosts());
    let located = |location_id: i64| locations.iter().find(|l| l.id == location_id);
    let describe = |scope: &PolicyScope, currency| {
        let own = policies.iter().find(|p| &p.scope == scope).map(|p| {
            let daily = format!("{} a day", format_with_code(p.daily_allowance, currency));
            match p.per_recovery_cap {
                Some(cap) => format!(
                    "{daily}, at most {} a recovery",
                    format_with_code(cap, currency)
                ),
                None => daily,
            }
        });
        let running = boosts
            .iter()
            .filter(|b| &b.scope == scope)
            .map(|b| {
                format!(
                    "+{} a day, {} – {}",
                    format_with_code(b.extra_per_day, currency),
                    b.from.format("%d %b"),
                    b.to.format("%d %b")
                )
            })
            .collect();
        (own, running)
    };
    let mut people = Vec::new();
    for person in store.people(org).await? {
        let Some(location) = located(person.location_id).filter(|_| person.active) else {
            continue;
        };
        let currency = server::currency_of(location)?;
        let allowance = allowances.on(person.id, person.team_id, today);
        let (own_policy, boosts) = describe(&PolicyScope::Person(person.id), currency);
        people.push(BudgetLine {
            scope: format!("person:{}", person.id),
            name: person.display_name,
            location: location.name.clone(),
            today: format_with_code(allowance.daily, currency),
            own_policy,
            boosts,
        });
    }
    let mut teams = Vec::new();
    for team in store.teams(org).await? {
        let Some(location) = located(team.location_id) else {
            continue;
        };
        let currency = server::currency_of(location)?;
        let (own_policy, boosts) = describe(&PolicyScope::Team(team.id), currency);
        teams.push(BudgetLine {
            scope: format!("team:{}", team.id),
            name: team.name,
            location: location.name.clone(),
            today: String::new(),
            own_policy,
            boosts,
        });
    }
    Ok(BudgetsView {
        today: today.format("%a %d %b %Y").to_string(),
        people,
        teams,
    })
}
