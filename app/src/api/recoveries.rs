//! The front line: today's budget, logging a recovery, my log, and follow-ups. The caller is
//! always the person acting (signed in on their own device, or their turn on a shared tablet);
//! they see and change only their own records.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use crate::domain::recovery::RecoveryForm;

/// A choice in a list of tiles or a select.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodayView {
    pub display_name: String,
    pub location_name: String,
    pub date: String,
    pub currency: String,
    pub allowance: String,
    pub spent: String,
    pub remaining: String,
    pub pending: String,
    pub approved: String,
    /// Share of today's allowance used, in percent (0 when there is no allowance).
    pub used_percent: i64,
    /// At 75 %, 90 % and 100 %: what to tell the person.
    pub warning: Option<String>,
    pub follow_ups: Vec<FollowUpView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpView {
    pub recovery_id: i64,
    pub what: String,
    pub customer_ref: Option<String>,
    pub due: String,
    pub overdue: bool,
    pub time_left: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogFormData {
    /// A fresh idempotency key for a form rendered without JavaScript; the browser makes
    /// its own for each submission once the page is live.
    pub idempotency_key: String,
    pub currency: String,
    pub remaining: String,
    /// Ordered by how often this location uses them, most used first.
    pub categories: Vec<Choice>,
    pub remedies: Vec<Choice>,
    pub reactions: Vec<Choice>,
    pub touchpoints: Vec<Choice>,
    pub default_touchpoint: String,
    pub channels: Vec<Choice>,
    pub severities: Vec<Choice>,
    pub causes: Vec<Choice>,
    /// Amounts offered as one-tap chips, in the location's currency.
    pub quick_amounts: Vec<String>,
}

/// What happened to a logged recovery, in the words the tablet shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogOutcome {
    pub recovery_id: i64,
    pub status: String,
    pub message: String,
    /// What is left of that budget day now, e.g. "45.00 EUR".
    pub remaining: String,
    pub replayed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub recovery_id: i64,
    pub date: String,
    pub time: String,
    pub category: String,
    pub remedy: String,
    pub description: String,
    pub amount: String,
    pub status: String,
    pub status_label: String,
    /// The supervisor's reason (denial) or the reversal's reason.
    pub reason: Option<String>,
    pub reaction: String,
    /// The improvement items this recovery fed: "Room not ready at Front desk (In progress)".
    pub fed: Vec<(i64, String)>,
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use chrono::{DateTime, Utc};
    use chrono_tz::Tz;

    use super::*;
    use crate::{
        api::caller::Caller,
        domain::{
            budget_day::parse_time_zone,
            ledger::RecoveryStatus,
            money::{format_minor, format_with_code, Currency},
            org::TaxonomyKind,
        },
        store::{organisations::Location, Store},
    };

    /// The caller's home location, its time zone and currency.
    pub async fn home(
        store: &Store,
        caller: &Caller,
    ) -> Result<(Location, Tz, Currency), ApiError> {
        let location = store
            .locations(caller.organisation_id)
            .await?
            .into_iter()
            .find(|l| l.id == caller.home_location_id)
            .ok_or(ApiError::Internal)?;
        let zone = parse_time_zone(&location.time_zone).map_err(|_| ApiError::Internal)?;
        let currency = Currency::parse(&location.currency).map_err(|_| ApiError::Internal)?;
        Ok((location, zone, currency))
    }

    pub fn labels(
        store_rows: &[crate::store::organisations::TaxonomyRow],
        kind: TaxonomyKind,
    ) -> Vec<Choice> {
        store_rows
            .iter()
            .filter(|r| r.kind == kind.as_str())
            .map(|r| Choice {
                code: r.code.clone(),
                label: r.label.clone(),
            })
            .collect()
    }

    pub fn label_of(choices: &[Choice], code: &str) -> String {
        choices
            .iter()
            .find(|c| c.code == code)
            .map_or_else(|| code.to_string(), |c| c.label.clone())
    }

    /// "3 h 20 min" / "45 min"
    pub fn duration_words(minutes: i64) -> String {
        let minutes = minutes.abs();
        match (minutes / 60, minutes % 60) {
            (0, m) => format!("{m} min"),
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m} min"),
        }
    }

    pub fn local(at: DateTime<Utc>, zone: Tz, format: &str) -> String {
        at.with_timezone(&zone).format(format).to_string()
    }

    pub fn outcome_message(
        status: RecoveryStatus,
        excess: i64,
        remaining: i64,
        currency: Currency,
    ) -> String {
        let left = format_with_code(remaining, currency);
        match status {
            RecoveryStatus::Pending => format!(
                "Sent for approval: {} over your budget — {left} left today",
                format_with_code(excess, currency)
            ),
            _ => format!("Posted — {left} left today"),
        }
    }

    /// The receipt of a late entry: its day had closed, so it went to a supervisor.
    pub fn late_message(date: chrono::NaiveDate) -> String {
        format!(
            "Logged for {} — that day has closed, so it went to a supervisor for approval",
            date.format("%a %d %b")
        )
    }

    /// Quick amounts that make sense for the currency's size (in major units).
    pub fn quick_amounts(currency: Currency) -> Vec<String> {
        let majors: &[i64] = match currency.code() {
            "JPY" | "KRW" | "HUF" | "IDR" | "CLP" | "ISK" => &[500, 1_000, 2_000, 5_000],
            _ => &[5, 10, 20, 50],
        };
        let unit = 10_i64.pow(u32::from(currency.exponent()));
        majors
            .iter()
            .map(|m| format_minor(m * unit, currency))
            .collect()
    }
}

/// Today at a glance: what is left, what was spent, and my open follow-ups.
#[server(endpoint = "today")]
pub async fn today() -> Result<TodayView, ApiError> {
    use crate::domain::money::format_minor;
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    let store = &request.state.store;
    let (location, zone, currency) = server::home(store, &caller).await?;
    let budget = store
        .budget_view(caller.organisation_id, caller.person_id, None, request.now)
        .await?;
    // In i128: spent × 100 must not overflow, whatever the stored figures.
    let used_percent = if budget.allowance_minor > 0 {
        i64::try_from(i128::from(budget.spent_minor) * 100 / i128::from(budget.allowance_minor))
            .unwrap_or(i64::MAX)
    } else {
        0
    };
    let warning = match used_percent {
        100.. if budget.allowance_minor > 0 => Some(
            "Today's budget is used up: anything more goes to a supervisor for approval."
                .to_string(),
        ),
        90..=99 => Some("90 % of today's budget is used.".to_string()),
        75..=89 => Some("75 % of today's budget is used.".to_string()),
        _ => None,
    };
    let taxonomy = store.taxonomy(caller.organisation_id).await?;
    let categories = server::labels(&taxonomy, crate::domain::org::TaxonomyKind::Category);
    let follow_ups = store
        .open_follow_ups(caller.organisation_id, caller.person_id)
        .await?
        .into_iter()
        .map(|f| {
            let minutes = (f.due_at - request.now).num_minutes();
            FollowUpView {
                recovery_id: f.recovery_id,
                what: match f.description.as_str() {
                    "" => server::label_of(&categories, &f.category),
                    text => format!("{} — {text}", server::label_of(&categories, &f.category)),
                },
                customer_ref: f.customer_ref,
                due: server::local(f.due_at, zone, "%a %d %b %H:%M"),
                overdue: minutes < 0,
                time_left: if minutes < 0 {
                    format!("overdue by {}", server::duration_words(minutes))
                } else {
                    format!("{} left", server::duration_words(minutes))
                },
            }
        })
        .collect();
    let money = |minor| format_minor(minor, currency);
    Ok(TodayView {
        display_name: caller.display_name.clone(),
        location_name: location.name,
        date: budget.date.format("%A %d %B").to_string(),
        currency: currency.code().to_string(),
        allowance: money(budget.allowance_minor),
        spent: money(budget.spent_minor),
        remaining: money(budget.remaining_minor),
        pending: money(budget.pending_excess_minor),
        approved: money(budget.approved_excess_minor),
        used_percent,
        warning,
        follow_ups,
    })
}

/// Everything the log form needs, tiles ordered by this location's use.
#[server(endpoint = "log-form")]
pub async fn log_form() -> Result<LogFormData, ApiError> {
    use crate::{
        domain::{
            money::format_minor,
            org::TaxonomyKind,
            recovery::{Reaction, Severity},
        },
        store::follow_ups::UsageOf,
    };
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    let store = &request.state.store;
    let (location, _zone, currency) = server::home(store, &caller).await?;
    let taxonomy = store.taxonomy(caller.organisation_id).await?;
    let since = request.now.date_naive() - chrono::Duration::days(30);
    let by_use = |mut choices: Vec<Choice>, usage: Vec<(String, i64)>| {
        let rank = |code: &str| {
            usage
                .iter()
                .position(|(c, _)| c == code)
                .unwrap_or(usize::MAX)
        };
        // Stable: unused choices keep the taxonomy's order after the used ones.
        choices.sort_by_key(|c| rank(&c.code));
        choices
    };
    let categories = by_use(
        server::labels(&taxonomy, TaxonomyKind::Category),
        store
            .usage(
                caller.organisation_id,
                location.id,
                since,
                UsageOf::Category,
            )
            .await?,
    );
    let remedies = by_use(
        server::labels(&taxonomy, TaxonomyKind::Remedy),
        store
            .usage(caller.organisation_id, location.id, since, UsageOf::Remedy)
            .await?,
    );
    let teams = store.teams(caller.organisation_id).await?;
    let person = store
        .person(caller.organisation_id, caller.person_id)
        .await?;
    let default_touchpoint = person
        .team_id
        .and_then(|t| teams.iter().find(|team| team.id == t))
        .and_then(|team| team.default_touchpoint.clone())
        .unwrap_or_default();
    let budget = store
        .budget_view(caller.organisation_id, caller.person_id, None, request.now)
        .await?;
    Ok(LogFormData {
        idempotency_key: crate::auth::session::new_token()[..32].to_string(),
        currency: currency.code().to_string(),
        remaining: format_minor(budget.remaining_minor, currency),
        categories,
        remedies,
        reactions: Reaction::ALL
            .iter()
            .map(|r| Choice {
                code: r.as_str().into(),
                label: r.label().into(),
            })
            .collect(),
        touchpoints: server::labels(&taxonomy, TaxonomyKind::Touchpoint),
        default_touchpoint,
        channels: server::labels(&taxonomy, TaxonomyKind::Channel),
        severities: Severity::ALL
            .iter()
            .map(|s| Choice {
                code: s.as_str().into(),
                label: s.label().into(),
            })
            .collect(),
        causes: server::labels(&taxonomy, TaxonomyKind::Cause),
        quick_amounts: server::quick_amounts(currency),
    })
}

/// Logs a recovery against the caller's own budget. Within budget it posts at once; beyond,
/// the excess goes to a supervisor. The same key twice records one recovery.
#[server(endpoint = "log-recovery")]
pub async fn log_recovery(
    idempotency_key: String,
    #[server(flatten)] form: RecoveryForm,
) -> Result<LogOutcome, ApiError> {
    use crate::domain::money::format_with_code;
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    let logged = crate::services::ledger::log_recovery(
        &request.state.store,
        &request.state.events,
        &caller.actor,
        &idempotency_key,
        &form,
        request.now,
    )
    .await?;
    let (receipt, currency, zone) = (logged.receipt, logged.currency, logged.time_zone);
    // A plain form post (no JavaScript) lands on the form again, showing this receipt.
    if request.plain_form_post() {
        leptos_axum::redirect(&format!("/log?logged={}", receipt.recovery_id));
    }
    Ok(LogOutcome {
        recovery_id: receipt.recovery_id,
        status: receipt.status.as_str().to_string(),
        message: if receipt.budget_date < crate::domain::budget_day::local_date(request.now, zone) {
            server::late_message(receipt.budget_date)
        } else {
            server::outcome_message(
                receipt.status,
                receipt.excess_minor,
                receipt.remaining_minor,
                currency,
            )
        },
        remaining: format_with_code(receipt.remaining_minor, currency),
        replayed: receipt.replayed,
    })
}

/// The receipt of one of my recoveries (what a plain form post shows after logging).
#[server(endpoint = "logged")]
pub async fn logged_outcome(recovery_id: i64) -> Result<LogOutcome, ApiError> {
    use crate::domain::money::{format_with_code, Currency};
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    let store = &request.state.store;
    let row = store.recovery(caller.organisation_id, recovery_id).await?;
    if row.person_id != caller.person_id {
        return Err(ApiError::NotFound("recovery".into()));
    }
    let (_location, zone, _currency) = server::home(store, &caller).await?;
    let currency = Currency::parse(&row.currency).map_err(|_| ApiError::Internal)?;
    let budget = store
        .budget_view(
            caller.organisation_id,
            caller.person_id,
            Some(row.budget_date),
            request.now,
        )
        .await?;
    let status = row.status();
    Ok(LogOutcome {
        recovery_id,
        status: status.as_str().to_string(),
        message: if row.budget_date < crate::domain::budget_day::local_date(request.now, zone) {
            server::late_message(row.budget_date)
        } else {
            server::outcome_message(status, row.excess_minor, budget.remaining_minor, currency)
        },
        remaining: format_with_code(budget.remaining_minor, currency),
        replayed: false,
    })
}

/// My recoveries of the last `days` days (1–60), newest first.
#[server(endpoint = "my-log")]
pub async fn my_log(days: i64) -> Result<Vec<LogEntry>, ApiError> {
    use crate::domain::{
        money::{format_with_code, Currency},
        org::TaxonomyKind,
    };
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    let store = &request.state.store;
    let (_location, zone, _currency) = server::home(store, &caller).await?;
    let days = days.clamp(1, 60);
    let to = crate::domain::budget_day::local_date(request.now, zone);
    let from = to - chrono::Duration::days(days - 1);
    let taxonomy = store.taxonomy(caller.organisation_id).await?;
    let categories = server::labels(&taxonomy, TaxonomyKind::Category);
    let remedies = server::labels(&taxonomy, TaxonomyKind::Remedy);
    let rows = store
        .person_log(caller.organisation_id, caller.person_id, from, to)
        .await?;
    let links = store
        .recovery_links(caller.organisation_id, caller.person_id)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let status = row.status();
            let amount = Currency::parse(&row.currency)
                .map(|c| format_with_code(row.amount_minor, c))
                .unwrap_or_default();
            LogEntry {
                recovery_id: row.id,
                date: row.budget_date.format("%a %d %b").to_string(),
                time: server::local(row.occurred_at, zone, "%H:%M"),
                category: server::label_of(&categories, &row.category),
                remedy: server::label_of(&remedies, &row.remedy),
                description: row.description.clone(),
                amount,
                status: status.as_str().to_string(),
                status_label: status.label().to_string(),
                reason: row.reversal_reason.clone().or(row.decision_reason.clone()),
                reaction: row.reaction.clone(),
                fed: links
                    .iter()
                    .filter(|l| l.recovery_id == row.id)
                    .map(|l| {
                        let status = crate::domain::learning::ItemStatus::parse(&l.status)
                            .map_or("", |s| s.label());
                        (l.item_id, format!("{} ({status})", l.title))
                    })
                    .collect(),
            }
        })
        .collect())
}

/// Marks one of my follow-ups done, with a note of what was done.
#[server(endpoint = "complete-follow-up")]
pub async fn complete_follow_up(recovery_id: i64, note: String) -> Result<(), ApiError> {
    use crate::domain::{org::Role, text::clean_block};
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    let store = &request.state.store;
    let row = store.recovery(caller.organisation_id, recovery_id).await?;
    if row.person_id != caller.person_id {
        // A supervisor of the location may close it for them.
        caller
            .require_at(Role::Supervisor, row.location_id)
            .map_err(|_| ApiError::NotFound("follow-up".into()))?;
    }
    let note = clean_block(&note);
    if note.is_empty() {
        return Err(ApiError::Validation("Say briefly what was done.".into()));
    }
    if note.chars().count() > 500 {
        return Err(ApiError::Validation(
            "Keep the note to 500 characters.".into(),
        ));
    }
    store
        .complete_follow_up(
            caller.organisation_id,
            recovery_id,
            caller.person_id,
            &note,
            request.now,
        )
        .await?;
    Ok(())
}
