//! The monthly learning summary for leadership: the month as the ledger stands, or as
//! published (frozen, with any later corrections beside it); commentary and publication.
//! Reading needs a manager (their locations) or an organisation-wide grant for the whole
//! organisation; writing the commentary and publishing need leadership for that scope.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{error::ApiError, recoveries::Choice};
use crate::domain::summary::Summary;

/// The summary page's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryView {
    pub summary: Summary,
    /// "2026-10".
    pub month: String,
    /// "" for the whole organisation, else the location's id.
    pub location: String,
    pub published: Option<Publication>,
    /// The draft commentary (before publication).
    pub draft: String,
    /// Figures that moved since publication: (figure, published, now).
    pub corrections: Vec<(String, String, String)>,
    /// Ledger entries made after publication that touch the month.
    pub late_entries: Vec<String>,
    pub can_publish: bool,
    /// The month is over (a month can be published from its last day on).
    pub complete: bool,
    pub scopes: Vec<Choice>,
    pub months: Vec<Choice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    pub by: String,
    pub at: String,
    pub commentary: String,
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use chrono::{DateTime, NaiveDate, Utc};

    use super::*;
    use crate::{
        api::caller::Caller,
        domain::{org::Role, summary::Month},
        store::Store,
    };

    /// The scope asked for: "all" (or "" for a caller with an organisation-wide grant) is
    /// the organisation; a number is a location; "" for a caller with only location grants
    /// is their first location.
    pub async fn scope(
        store: &Store,
        caller: &Caller,
        location: &str,
    ) -> Result<Option<i64>, ApiError> {
        let location = location.trim();
        let wide = caller.scope_of(Role::Manager).is_none();
        let id = match location {
            "all" => None,
            "" if wide => None,
            "" => caller
                .scope_of(Role::Manager)
                .and_then(|ids| ids.into_iter().min()),
            text => Some(text.parse::<i64>().map_err(|_| {
                ApiError::Validation("Choose a location from the list.".to_string())
            })?),
        };
        match id {
            None if wide => Ok(None),
            None => Err(ApiError::Forbidden),
            Some(id) => {
                caller.require_at(Role::Manager, id)?;
                if !store
                    .locations(caller.organisation_id)
                    .await?
                    .iter()
                    .any(|l| l.id == id)
                {
                    return Err(ApiError::NotFound("location".into()));
                }
                Ok(Some(id))
            }
        }
    }

    pub fn may_publish(caller: &Caller, location_id: Option<i64>) -> bool {
        match location_id {
            Some(id) => caller.require_at(Role::Leader, id).is_ok(),
            None => caller.has(Role::Leader) && caller.scope_of(Role::Leader).is_none(),
        }
    }

    /// Today in the scope's time zone (the organisation's, or the location's).
    pub async fn today(
        store: &Store,
        organisation_id: i64,
        location_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<NaiveDate, ApiError> {
        let organisation = store.organisation(organisation_id).await?;
        let locations = store.locations(organisation_id).await?;
        let zone = crate::summary::scope_zone(&organisation.time_zone, &locations, location_id);
        Ok(crate::summary::today_in(zone, now))
    }

    /// The month asked for, or by default the last complete one.
    pub fn month(text: &str, today: NaiveDate) -> Result<Month, ApiError> {
        if text.trim().is_empty() {
            return Ok(Month::of(today).previous());
        }
        Month::parse(text).map_err(|e| ApiError::Validation(e.to_string()))
    }

    /// A plain form post (no JavaScript) lands on the month's page again.
    pub fn back_to_page(
        request: &crate::api::caller::Request,
        month: Month,
        location_id: Option<i64>,
    ) {
        if request.plain_form_post() {
            leptos_axum::redirect(&format!(
                "/summary?month={}&location={}",
                month.key(),
                location_id.map_or_else(|| "all".to_string(), |id| id.to_string())
            ));
        }
    }

    pub fn commentary(text: &str) -> Result<String, ApiError> {
        use crate::domain::summary::{SummaryError, MAX_COMMENTARY_CHARS};
        let text = text.replace("\r\n", "\n").trim().to_string();
        if text.chars().count() > MAX_COMMENTARY_CHARS {
            return Err(ApiError::Validation(
                SummaryError::CommentaryTooLong(MAX_COMMENTARY_CHARS).to_string(),
            ));
        }
        Ok(text)
    }

    /// The summary as the page shows it: frozen if published (with what moved since), else
    /// as the ledger stands. The caller must be a manager for the scope.
    pub async fn summary_view(
        request: &crate::api::caller::Request,
        caller: &Caller,
        month: &str,
        location: &str,
    ) -> Result<SummaryView, ApiError> {
        use crate::domain::summary::corrections;
        caller.require(Role::Manager)?;
        let store = &request.state.store;
        let org = caller.organisation_id;
        let location_id = scope(store, caller, location).await?;
        let today = today(store, org, location_id, request.now).await?;
        let month = self::month(month, today)?;
        let key = month.key();
        let live = crate::summary::compute(store, org, location_id, month, request.now).await?;
        let published = store.published_summary(org, location_id, &key).await?;
        let (summary, publication, corrections, late_entries) = match published {
            None => (live, None, Vec::new(), Vec::new()),
            Some(row) => {
                let frozen: Summary =
                    serde_json::from_str(&row.snapshot).map_err(|_| ApiError::Internal)?;
                let changed = corrections(&frozen, &live);
                let late = store
                    .late_entries(
                        org,
                        location_id,
                        month.first_day(),
                        month.last_day(),
                        row.published_at,
                    )
                    .await?
                    .into_iter()
                    .map(|e| {
                        let what = match e.kind.as_str() {
                            "reversed" => "reversed",
                            "approved" => "approved",
                            "partly-approved" => "part-approved",
                            "denied" => "denied",
                            _ => "logged late",
                        };
                        format!(
                            "{}: recovery #{} by {} on {} {what} ({}){}",
                            e.at.format("%d %b %Y %H:%M UTC"),
                            e.recovery_id,
                            e.person_name,
                            e.budget_date.format("%d %b"),
                            crate::domain::summary::money(e.amount_minor, &e.currency),
                            e.reason.map(|r| format!(": {r}")).unwrap_or_default()
                        )
                    })
                    .collect();
                (
                    frozen,
                    Some(Publication {
                        by: row.published_by_name,
                        at: row.published_at.format("%d %b %Y %H:%M UTC").to_string(),
                        commentary: row.commentary,
                    }),
                    changed,
                    late,
                )
            }
        };
        let draft = store
            .summary_draft(org, location_id, &key)
            .await?
            .unwrap_or_default();
        let scope_ids = caller.scope_of(Role::Manager);
        let mut scopes = Vec::new();
        if scope_ids.is_none() {
            scopes.push(Choice {
                code: "all".to_string(),
                label: "All locations".to_string(),
            });
        }
        for l in store.locations(org).await? {
            if scope_ids.as_ref().is_none_or(|ids| ids.contains(&l.id)) {
                scopes.push(Choice {
                    code: l.id.to_string(),
                    label: l.name,
                });
            }
        }
        let published_months = store.published_months(org, location_id).await?;
        let mut months = Vec::new();
        let mut m = crate::domain::summary::Month::of(today);
        for _ in 0..13 {
            let key = m.key();
            let mark = if published_months.contains(&key) {
                " — published"
            } else {
                ""
            };
            months.push(Choice {
                label: format!("{}{mark}", m.label()),
                code: key,
            });
            m = m.previous();
        }
        Ok(SummaryView {
            month: key,
            location: location_id.map_or_else(|| "all".to_string(), |id| id.to_string()),
            can_publish: may_publish(caller, location_id),
            complete: month.last_day() <= today,
            summary,
            published: publication,
            draft,
            corrections,
            late_entries,
            scopes,
            months,
        })
    }
}

/// The month's summary (default: the last complete month; default scope: the whole
/// organisation, or the caller's first location).
#[server(endpoint = "summary/month")]
pub async fn monthly_summary(month: String, location: String) -> Result<SummaryView, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Manager).await?;
    server::summary_view(&request, &caller, &month, &location).await
}

/// Saves leadership's draft commentary for a month not yet published.
#[server(endpoint = "summary/commentary")]
pub async fn save_commentary(
    month: String,
    location: String,
    commentary: String,
) -> Result<(), ApiError> {
    use crate::domain::{org::Role, summary::Month};
    let (request, caller) = crate::api::caller::caller_with(Role::Leader).await?;
    let store = &request.state.store;
    let org = caller.organisation_id;
    let location_id = server::scope(store, &caller, &location).await?;
    if !server::may_publish(&caller, location_id) {
        return Err(ApiError::Forbidden);
    }
    let month = Month::parse(&month).map_err(|e| ApiError::Validation(e.to_string()))?;
    let text = server::commentary(&commentary)?;
    if store
        .published_summary(org, location_id, &month.key())
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "{} is published and frozen: its commentary can no longer change.",
            month.label()
        )));
    }
    store
        .save_summary_draft(
            org,
            location_id,
            &month.key(),
            &text,
            caller.person_id,
            request.now,
        )
        .await?;
    server::back_to_page(&request, month, location_id);
    Ok(())
}

/// Publishes a complete month: the summary as the ledger stands now is frozen with the
/// saved commentary; later corrections show beside it, never in it.
#[server(endpoint = "summary/publish")]
pub async fn publish_month(month: String, location: String) -> Result<(), ApiError> {
    use crate::domain::{org::Role, summary::Month};
    let (request, caller) = crate::api::caller::caller_with(Role::Leader).await?;
    let store = &request.state.store;
    let org = caller.organisation_id;
    let location_id = server::scope(store, &caller, &location).await?;
    if !server::may_publish(&caller, location_id) {
        return Err(ApiError::Forbidden);
    }
    let month = Month::parse(&month).map_err(|e| ApiError::Validation(e.to_string()))?;
    let text = store
        .summary_draft(org, location_id, &month.key())
        .await?
        .unwrap_or_default();
    let today = server::today(store, org, location_id, request.now).await?;
    if month.last_day() > today {
        return Err(ApiError::Validation(format!(
            "{} is not over yet: publish it from its last day on.",
            month.label()
        )));
    }
    let summary = crate::summary::compute(store, org, location_id, month, request.now).await?;
    let snapshot = serde_json::to_string(&summary).map_err(|_| ApiError::Internal)?;
    store
        .publish_summary(
            org,
            location_id,
            &month.key(),
            &text,
            &snapshot,
            caller.person_id,
            request.now,
        )
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Duplicate(_) => {
                ApiError::Conflict(format!("{} is already published.", month.label()))
            }
            other => other.into(),
        })?;
    server::back_to_page(&request, month, location_id);
    Ok(())
}
