//! Customers' personal data: their recent history where it helps the next recovery, and
//! forgetting it when it should be — retention and a data subject's request. See
//! docs/PRIVACY.md.
//!
//! Who sees what:
//! - a customer's history at a location: the people of that location (the tablet shows it
//!   while they log) and the supervisors whose scope covers it (beside each request in the
//!   approval queue);
//! - a data subject's recoveries, their export and erasure: admins, within their scope (a
//!   location admin finds and erases only what their locations recorded);
//! - the retention period and the redaction log: organisation-wide admins.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::{
    budget_day::local_date,
    money::format_with_code,
    org::Role,
    privacy::{self, SubjectSearch, HISTORY_DAYS, HISTORY_LIMIT},
    recovery::{Reaction, RemedyType},
};
use store::{
    privacy::SubjectErasure,
    queries::{RecoveryFilter, RecoveryRow},
    Store,
};
use views::privacy::{HistoryEntry, PrivacyView, RedactionView, SubjectRecovery};

use crate::{
    audit,
    export::{line, text},
    scope::home,
    Actor, ServiceError,
};

impl From<privacy::PrivacyError> for ServiceError {
    fn from(error: privacy::PrivacyError) -> Self {
        ServiceError::Invalid(error.to_string())
    }
}

/// The earlier recoveries naming `key` at a location, newest first: the last
/// [`HISTORY_DAYS`] local days up to today, at most [`HISTORY_LIMIT`], `except` one (the
/// request being decided). The caller has checked who may see them.
pub async fn history_at(
    store: &Store,
    organisation_id: i64,
    location_id: i64,
    key: &str,
    today: NaiveDate,
    except: Option<i64>,
) -> Result<Vec<RecoveryRow>, ServiceError> {
    let rows = store
        .recoveries(
            organisation_id,
            &RecoveryFilter {
                from: Some(today - Duration::days(HISTORY_DAYS)),
                location_id: Some(location_id),
                customer_key: Some(key.to_string()),
                limit: Some(HISTORY_LIMIT + 1),
                ..Default::default()
            },
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| Some(r.id) != except)
        .take(HISTORY_LIMIT as usize)
        .collect())
}

/// A history row as the tablet and the queue show it.
pub fn history_entry(
    row: &RecoveryRow,
    zone: Tz,
    category_label: impl Fn(&str) -> String,
) -> HistoryEntry {
    let category = category_label(&row.category);
    let remedy = RemedyType::parse(&row.remedy).map_or(row.remedy.clone(), |r| r.label().into());
    HistoryEntry {
        when: row
            .occurred_at
            .with_timezone(&zone)
            .format("%a %d %b %H:%M")
            .to_string(),
        what: match row.description.as_str() {
            "" => category,
            text => format!("{category} — {text}"),
        },
        done: if row.amount_minor > 0 {
            format!(
                "{remedy} · {}",
                format_with_code(row.amount_minor, row.currency)
            )
        } else {
            remedy
        },
        reaction: Reaction::parse(&row.reaction).map_or(row.reaction.clone(), |r| r.label().into()),
        status: row.status().label().to_string(),
    }
}

/// The customer's recent recoveries at the actor's own location, for the tablet while they
/// log: anyone of the location may see them. A reference that names nobody answers an
/// empty list.
#[tracing::instrument(name = "privacy::customer_history", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn customer_history(
    store: &Store,
    actor: &Actor,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<Vec<HistoryEntry>, ServiceError> {
    actor.require(Role::Staff)?;
    let Some(key) = privacy::customer_key(reference) else {
        return Ok(Vec::new());
    };
    let (location, zone, _) = home(store, actor).await?;
    let rows = history_at(
        store,
        actor.organisation_id,
        location.id,
        &key,
        local_date(now, zone),
        None,
    )
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let taxonomy = store.taxonomy(actor.organisation_id).await?;
    let label = |code: &str| {
        taxonomy
            .iter()
            .find(|t| t.kind == "category" && t.code == code)
            .map_or_else(|| code.to_string(), |t| t.label.clone())
    };
    Ok(rows.iter().map(|r| history_entry(r, zone, label)).collect())
}

/// The dates of a search as typed (`YYYY-MM-DD`, or empty for no bound).
pub fn dates(from: &str, to: &str) -> Result<(Option<NaiveDate>, Option<NaiveDate>), ServiceError> {
    let day = |text: &str, which: &str| match text.trim() {
        "" => Ok(None),
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                ServiceError::Invalid(format!(
                    "The {which} date \"{}\" is not a date (YYYY-MM-DD).",
                    domain::text::shown(text)
                ))
            }),
    };
    Ok((day(from, "first")?, day(to, "last")?))
}

/// The recoveries naming a data subject within the actor's admin scope (the scope is part of
/// the query), newest first, at most 500.
async fn subject_rows(
    store: &Store,
    actor: &Actor,
    search: &SubjectSearch,
) -> Result<Vec<RecoveryRow>, ServiceError> {
    let scope = actor.scope(Role::Admin)?;
    Ok(store
        .recoveries(
            actor.organisation_id,
            &RecoveryFilter {
                from: search.from,
                to: search.to,
                within_locations: scope,
                customer_key: Some(search.key.clone()),
                limit: Some(500),
                ..Default::default()
            },
        )
        .await?)
}

/// A data subject's recoveries, for an admin answering their request.
#[tracing::instrument(name = "privacy::find_subject", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn find_subject(
    store: &Store,
    actor: &Actor,
    reference: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<SubjectRecovery>, ServiceError> {
    actor.require(Role::Admin)?;
    let search = privacy::subject_search(reference, from, to)?;
    let rows = subject_rows(store, actor, &search).await?;
    let places: HashMap<i64, String> = store
        .locations(actor.organisation_id)
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| SubjectRecovery {
            recovery_id: r.id,
            budget_date: r.budget_date.to_string(),
            location: places.get(&r.location_id).cloned().unwrap_or_default(),
            amount: format_with_code(r.amount_minor, r.currency),
            status: r.status().label().to_string(),
            person: r.person_name,
            customer_ref: r.customer_ref.unwrap_or_default(),
            category: r.category,
            description: r.description,
            cause_note: r.cause_note.unwrap_or_default(),
            follow_up_note: r.follow_up_note.unwrap_or_default(),
        })
        .collect())
}

/// The format of a data subject's export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectFormat {
    Csv,
    Json,
}

/// A data subject's recoveries as a file to hand over: (file name, content type, body). The
/// export is audited (who, how many; not the reference).
#[tracing::instrument(name = "privacy::export_subject", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn export_subject(
    store: &Store,
    actor: &Actor,
    reference: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: SubjectFormat,
    now: DateTime<Utc>,
) -> Result<(String, &'static str, String), ServiceError> {
    let found = find_subject(store, actor, reference, from, to).await?;
    audit::record(
        store,
        actor,
        "customer-data-exported",
        "customer data",
        None,
        Some(serde_json::json!({ "recoveries": found.len() })),
        now,
    )
    .await?;
    let stamp = now.format("%Y%m%d-%H%M");
    match format {
        SubjectFormat::Json => {
            let body = serde_json::to_string_pretty(&serde_json::json!({
                "exported_at": now.to_rfc3339(),
                "recoveries": found.iter().map(|r| serde_json::json!({
                    "recovery": r.recovery_id,
                    "date": r.budget_date,
                    "location": r.location,
                    "recorded_by": r.person,
                    "customer_reference": r.customer_ref,
                    "category": r.category,
                    "what_went_wrong": r.description,
                    "cause_note": r.cause_note,
                    "follow_up_note": r.follow_up_note,
                    "amount": r.amount,
                    "status": r.status,
                })).collect::<Vec<_>>(),
            }))
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
            Ok((
                format!("goodwill-customer-data-{stamp}.json"),
                "application/json",
                body,
            ))
        }
        SubjectFormat::Csv => {
            let mut out = String::new();
            line(
                &mut out,
                &[
                    "recovery",
                    "date",
                    "location",
                    "recorded_by",
                    "customer_reference",
                    "category",
                    "what_went_wrong",
                    "cause_note",
                    "follow_up_note",
                    "amount",
                    "status",
                ]
                .map(String::from),
            );
            for r in &found {
                line(
                    &mut out,
                    &[
                        r.recovery_id.to_string(),
                        r.budget_date.clone(),
                        text(&r.location),
                        text(&r.person),
                        text(&r.customer_ref),
                        text(&r.category),
                        text(&r.description),
                        text(&r.cause_note),
                        text(&r.follow_up_note),
                        text(&r.amount),
                        text(&r.status),
                    ],
                );
            }
            Ok((
                format!("goodwill-customer-data-{stamp}.csv"),
                "text/csv; charset=utf-8",
                out,
            ))
        }
    }
}

/// Erases a data subject's personal fields in every recovery of the actor's scope that names
/// them (within the dates given), with a reason. Amounts, dates, people and statuses stay.
/// Logged in the redaction log and the audit log: who, when, how many, why — never the
/// reference or what was erased. Answers how many recoveries were emptied.
#[tracing::instrument(name = "privacy::erase_subject", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn erase_subject(
    store: &Store,
    actor: &Actor,
    reference: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let scope = actor.scope(Role::Admin)?;
    let search = privacy::subject_search(reference, from, to)?;
    let reason = privacy::erasure_reason(reason, &search.key)?;
    let erased = store
        .erase_subject(
            &SubjectErasure {
                organisation_id: actor.organisation_id,
                requested_by: actor.person_id,
                customer_key: &search.key,
                from: search.from,
                to: search.to,
                within_locations: scope.as_deref(),
                reason: &reason,
            },
            now,
        )
        .await?;
    audit::record(
        store,
        actor,
        "customer-data-erased",
        "customer data",
        None,
        Some(serde_json::json!({ "recoveries": erased, "reason": reason })),
        now,
    )
    .await?;
    tracing::info!(erased, "customer data erased on request");
    Ok(erased)
}

/// The privacy page: the retention period for every admin; the redaction log for
/// organisation-wide admins (it spans every location).
pub async fn privacy_view(
    store: &Store,
    actor: &Actor,
    zone: Tz,
) -> Result<PrivacyView, ServiceError> {
    actor.require(Role::Admin)?;
    let org_wide = actor.access().organisation_wide(Role::Admin);
    let retention_days = store.retention_days(actor.organisation_id).await?;
    let redactions = if org_wide {
        store
            .redactions(actor.organisation_id)
            .await?
            .into_iter()
            .map(|x| RedactionView {
                when: x
                    .redacted_at
                    .with_timezone(&zone)
                    .format("%d %b %Y %H:%M")
                    .to_string(),
                kind: match x.kind.as_str() {
                    "retention" => "Retention".to_string(),
                    _ => "Customer's request".to_string(),
                },
                by: x.requested_by_name.unwrap_or_default(),
                reason: x.reason,
                dates: match (x.from_date, x.to_date) {
                    (None, None) => "any date".to_string(),
                    (from, to) => format!(
                        "{} – {}",
                        from.map_or("any".into(), |d| d.format("%d %b %Y").to_string()),
                        to.map_or("any".into(), |d| d.format("%d %b %Y").to_string())
                    ),
                },
                recoveries: x.recoveries,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(PrivacyView {
        retention_days,
        may_change_retention: org_wide,
        redactions,
    })
}

/// The privacy page in the actor's home time zone.
pub async fn privacy_page(store: &Store, actor: &Actor) -> Result<PrivacyView, ServiceError> {
    let (_, zone, _) = home(store, actor).await?;
    privacy_view(store, actor, zone).await
}

/// Sets how long personal fields are kept (organisation-wide admins only); audited.
#[tracing::instrument(name = "privacy::set_retention", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn set_retention(
    store: &Store,
    actor: &Actor,
    days: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    actor.require_org_wide(Role::Admin)?;
    let days = privacy::retention_days(days)?;
    let before = store.retention_days(actor.organisation_id).await?;
    store
        .set_retention_days(actor.organisation_id, days)
        .await?;
    audit::record(
        store,
        actor,
        "retention-changed",
        "personal data retention",
        Some(serde_json::json!({ "days": before })),
        Some(serde_json::json!({ "days": days })),
        now,
    )
    .await?;
    Ok(())
}

/// Redacts, in every organisation, the personal fields past its retention period. The
/// scheduler runs this; it is safe on several app servers at once (see
/// `Store::apply_retention`). Answers (organisation, recoveries emptied) where any were.
#[tracing::instrument(name = "privacy::apply_retention", skip_all)]
pub async fn apply_retention(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, i64)>, ServiceError> {
    let mut done = Vec::new();
    for (organisation_id, days) in store.retention_periods().await? {
        let cutoff = privacy::retention_cutoff(now, days);
        let emptied = store.apply_retention(organisation_id, cutoff, now).await?;
        if emptied > 0 {
            tracing::info!(
                organisation_id,
                emptied,
                "personal data past retention redacted"
            );
            done.push((organisation_id, emptied));
        }
    }
    Ok(done)
}
