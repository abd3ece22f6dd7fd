//! The front line: today's budget, the log form and the receipt of a logged recovery, my log,
//! and follow-ups. The actor is always the person acting (signed in on their own device, or
//! their turn on a shared tablet); they see and change only their own records, except that a
//! supervisor of the location may close someone's follow-up for them.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::{
    budget_day::local_date,
    learning::ItemStatus,
    ledger::RecoveryStatus,
    money::{format_minor, format_with_code, Currency},
    org::{Role, TaxonomyKind},
    recovery::{Reaction, RecoveryForm, Severity},
    text::clean_block,
};
use store::{follow_ups::UsageOf, Store};
use views::{
    recoveries::{FollowUpView, LogEntry, LogFormData, LogOutcome, TodayView, TurnStamp},
    Choice,
};

use crate::{
    events::LedgerEvents,
    ledger::Logged,
    scope::{home, label_of, labels},
    Actor, ServiceError,
};

/// Today at a glance: what is left, what was spent, and my open follow-ups. `display_name`
/// is the actor's name as the session knows it.
#[tracing::instrument(name = "front_line::today", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn today(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    display_name: &str,
) -> Result<TodayView, ServiceError> {
    actor.require(Role::Staff)?;
    let (location, zone, currency) = home(store, actor).await?;
    let budget = store
        .budget_view(actor.organisation_id, actor.person_id, None, now)
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
    let taxonomy = store.taxonomy(actor.organisation_id).await?;
    let categories = labels(&taxonomy, TaxonomyKind::Category);
    let follow_ups = store
        .open_follow_ups(actor.organisation_id, actor.person_id)
        .await?
        .into_iter()
        .map(|f| {
            let minutes = (f.due_at - now).num_minutes();
            FollowUpView {
                recovery_id: f.recovery_id,
                what: match f.description.as_str() {
                    "" => label_of(&categories, &f.category),
                    text => format!("{} — {text}", label_of(&categories, &f.category)),
                },
                customer_ref: f.customer_ref,
                due: local(f.due_at, zone, "%a %d %b %H:%M"),
                overdue: minutes < 0,
                time_left: if minutes < 0 {
                    format!("overdue by {}", duration_words(minutes))
                } else {
                    format!("{} left", duration_words(minutes))
                },
            }
        })
        .collect();
    let money = |minor| format_minor(minor, currency);
    Ok(TodayView {
        display_name: display_name.to_string(),
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

/// Everything the log form needs, tiles ordered by the use at the actor's home location.
#[tracing::instrument(name = "front_line::log_form", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn log_form(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    turn: Option<TurnStamp>,
) -> Result<LogFormData, ServiceError> {
    actor.require(Role::Staff)?;
    let (location, _zone, currency) = home(store, actor).await?;
    let taxonomy = store.taxonomy(actor.organisation_id).await?;
    let since = now.date_naive() - chrono::Duration::days(30);
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
        labels(&taxonomy, TaxonomyKind::Category),
        store
            .usage(actor.organisation_id, location.id, since, UsageOf::Category)
            .await?,
    );
    let remedies = by_use(
        labels(&taxonomy, TaxonomyKind::Remedy),
        store
            .usage(actor.organisation_id, location.id, since, UsageOf::Remedy)
            .await?,
    );
    let teams = store.teams(actor.organisation_id).await?;
    let person = store.person(actor.organisation_id, actor.person_id).await?;
    let default_touchpoint = person
        .team_id
        .and_then(|t| teams.iter().find(|team| team.id == t))
        .and_then(|team| team.default_touchpoint.clone())
        .unwrap_or_default();
    let budget = store
        .budget_view(actor.organisation_id, actor.person_id, None, now)
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
        touchpoints: labels(&taxonomy, TaxonomyKind::Touchpoint),
        default_touchpoint,
        channels: labels(&taxonomy, TaxonomyKind::Channel),
        severities: Severity::ALL
            .iter()
            .map(|s| Choice {
                code: s.as_str().into(),
                label: s.label().into(),
            })
            .collect(),
        causes: labels(&taxonomy, TaxonomyKind::Cause),
        quick_amounts: quick_amounts(currency),
        turn,
    })
}

/// Logs a recovery against the actor's own budget (see [`crate::ledger::log_recovery`]) and
/// answers with its receipt. Within budget it posts at once; beyond, the excess goes to a
/// supervisor. The same key twice records one recovery.
#[tracing::instrument(name = "front_line::log_recovery", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn log_recovery(
    store: &Store,
    events: &LedgerEvents,
    actor: &Actor,
    now: DateTime<Utc>,
    idempotency_key: &str,
    form: &RecoveryForm,
) -> Result<LogOutcome, ServiceError> {
    let logged =
        crate::ledger::log_recovery(store, events, actor, idempotency_key, form, now).await?;
    Ok(receipt(&logged, now))
}

/// Logs an entry the device captured while offline and sends now: recorded for the person
/// whose turn captured it (see [`crate::session::deferred_actor`]), never for whoever holds
/// the tablet now, under every rule of [`log_recovery`] (a day that has closed since goes to
/// a supervisor). The same key twice records one recovery.
#[tracing::instrument(name = "front_line::log_deferred", skip_all)]
#[allow(clippy::too_many_arguments)]
pub async fn log_deferred(
    store: &Store,
    events: &LedgerEvents,
    limits: &crate::auth::session::SessionLimits,
    token: Option<&str>,
    turn_token: &str,
    captured_at: &str,
    idempotency_key: &str,
    form: &RecoveryForm,
    now: DateTime<Utc>,
) -> Result<LogOutcome, crate::session::SessionError> {
    let signed =
        crate::session::deferred_actor(store, limits, token, turn_token, captured_at, now).await?;
    Ok(log_recovery(store, events, &signed.actor, now, idempotency_key, form).await?)
}

/// The receipt of a just-logged recovery, in the words the tablet shows.
pub fn receipt(logged: &Logged, now: DateTime<Utc>) -> LogOutcome {
    let (receipt, currency, zone) = (&logged.receipt, logged.currency, logged.time_zone);
    LogOutcome {
        recovery_id: receipt.recovery_id,
        status: receipt.status.as_str().to_string(),
        message: if receipt.budget_date < local_date(now, zone) {
            late_message(receipt.budget_date)
        } else {
            outcome_message(
                receipt.status,
                receipt.excess_minor,
                receipt.remaining_minor,
                currency,
            )
        },
        remaining: format_with_code(receipt.remaining_minor, currency),
        replayed: receipt.replayed,
    }
}

/// The receipt of one of the actor's own recoveries (what a plain form post shows after
/// logging). Anyone else's reads as not found.
#[tracing::instrument(name = "front_line::logged", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn logged(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    recovery_id: i64,
) -> Result<LogOutcome, ServiceError> {
    actor.require(Role::Staff)?;
    let row = store.recovery(actor.organisation_id, recovery_id).await?;
    if row.person_id != actor.person_id {
        return Err(ServiceError::NotFound("recovery"));
    }
    let (_location, zone, _currency) = home(store, actor).await?;
    let currency = row.currency;
    let budget = store
        .budget_view(
            actor.organisation_id,
            actor.person_id,
            Some(row.budget_date),
            now,
        )
        .await?;
    let status = row.status();
    Ok(LogOutcome {
        recovery_id,
        status: status.as_str().to_string(),
        message: if row.budget_date < local_date(now, zone) {
            late_message(row.budget_date)
        } else {
            outcome_message(status, row.excess_minor, budget.remaining_minor, currency)
        },
        remaining: format_with_code(budget.remaining_minor, currency),
        replayed: false,
    })
}

/// The actor's recoveries of the last `days` days (1–60) at their home location's date,
/// newest first.
#[tracing::instrument(name = "front_line::my_log", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn my_log(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    days: i64,
) -> Result<Vec<LogEntry>, ServiceError> {
    actor.require(Role::Staff)?;
    let (_location, zone, _currency) = home(store, actor).await?;
    let days = days.clamp(1, 60);
    let to = local_date(now, zone);
    let from = to - chrono::Duration::days(days - 1);
    let taxonomy = store.taxonomy(actor.organisation_id).await?;
    let categories = labels(&taxonomy, TaxonomyKind::Category);
    let remedies = labels(&taxonomy, TaxonomyKind::Remedy);
    let rows = store
        .person_log(actor.organisation_id, actor.person_id, from, to)
        .await?;
    let links = store
        .recovery_links(actor.organisation_id, actor.person_id)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let status = row.status();
            let amount = format_with_code(row.amount_minor, row.currency);
            LogEntry {
                recovery_id: row.id,
                date: row.budget_date.format("%a %d %b").to_string(),
                time: local(row.occurred_at, zone, "%H:%M"),
                category: label_of(&categories, &row.category),
                remedy: label_of(&remedies, &row.remedy),
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
                        let status = ItemStatus::parse(&l.status).map_or("", |s| s.label());
                        (l.item_id, format!("{} ({status})", l.title))
                    })
                    .collect(),
            }
        })
        .collect())
}

/// Marks one of the actor's follow-ups done, with a note of what was done. A supervisor of
/// the recovery's location may close it for them; to anyone else it reads as not found.
#[tracing::instrument(name = "front_line::complete_follow_up", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn complete_follow_up(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    recovery_id: i64,
    note: &str,
) -> Result<(), ServiceError> {
    actor.require(Role::Staff)?;
    let row = store.recovery(actor.organisation_id, recovery_id).await?;
    // A supervisor of the location may close it for them.
    if row.person_id != actor.person_id && !actor.access().at(Role::Supervisor, row.location_id) {
        return Err(ServiceError::NotFound("follow-up"));
    }
    let note = clean_block(note);
    if note.is_empty() {
        return Err(ServiceError::Invalid("Say briefly what was done.".into()));
    }
    if note.chars().count() > 500 {
        return Err(ServiceError::Invalid(
            "Keep the note to 500 characters.".into(),
        ));
    }
    store
        .complete_follow_up(
            actor.organisation_id,
            recovery_id,
            actor.person_id,
            &note,
            now,
        )
        .await?;
    Ok(())
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

/// A moment as the local clock of `zone` shows it, in a `chrono` format.
pub fn local(at: DateTime<Utc>, zone: Tz, format: &str) -> String {
    at.with_timezone(&zone).format(format).to_string()
}

/// The receipt of an entry of today: posted, or sent for approval with its excess.
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
pub fn late_message(date: NaiveDate) -> String {
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
