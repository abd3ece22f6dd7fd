//! Budgets: policies (a daily allowance and an optional per-recovery cap) and temporary
//! boosts, for the organisation, a role, a team or a person. Who may change which budget is
//! `domain::access::may_change_budget`, checked by the store on every write made for a
//! person; amounts are at most the organisation's maximum for one amount.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    money::{check_within_limit, format_minor, parse_amount, Currency},
    org::Role,
    policy::{Boost, BudgetPolicy, PolicyScope},
};
use store::Store;

use crate::{Actor, ServiceError};

/// "organisation", "role:staff", "team:3", "person:12": the scope as forms and the audit
/// log write it.
pub fn scope_key(scope: &PolicyScope) -> String {
    match scope {
        PolicyScope::Organisation => "organisation".into(),
        PolicyScope::Role(role) => format!("role:{}", role.as_str()),
        PolicyScope::Team(id) => format!("team:{id}"),
        PolicyScope::Person(id) => format!("person:{id}"),
    }
}

/// Parses a scope key, checking that a team or person belongs to the actor's organisation.
pub async fn parse_scope(
    store: &Store,
    organisation_id: i64,
    text: &str,
) -> Result<PolicyScope, ServiceError> {
    let bad = || {
        ServiceError::Invalid(format!(
            "Choose who the budget is for (got \"{}\").",
            domain::text::cut(text, 40)
        ))
    };
    let (kind, value) = text.split_once(':').unwrap_or((text, ""));
    match kind {
        "organisation" => Ok(PolicyScope::Organisation),
        "role" => Ok(PolicyScope::Role(Role::parse(value).map_err(|_| bad())?)),
        "team" => {
            let id: i64 = value.parse().map_err(|_| bad())?;
            if !store
                .teams(organisation_id)
                .await?
                .iter()
                .any(|t| t.id == id)
            {
                return Err(ServiceError::NotFound("team"));
            }
            Ok(PolicyScope::Team(id))
        }
        "person" => {
            let id: i64 = value.parse().map_err(|_| bad())?;
            store.person(organisation_id, id).await?;
            Ok(PolicyScope::Person(id))
        }
        _ => Err(bad()),
    }
}

/// The currency a scope's amounts are in (the location's for a person or team, else the
/// organisation's) and the organisation's maximum for one amount, in major units. A person
/// or team outside the actor's supervision reads as not found.
async fn currency_of(
    store: &Store,
    actor: &Actor,
    scope: &PolicyScope,
) -> Result<(Currency, i64), ServiceError> {
    let org = actor.organisation_id;
    let organisation = store.organisation(org).await?;
    let location_id = match scope {
        PolicyScope::Organisation | PolicyScope::Role(_) => {
            actor.require_org_wide(Role::Admin)?;
            let currency = organisation.currency;
            return Ok((currency, organisation.max_amount_major));
        }
        PolicyScope::Team(id) => {
            store
                .teams(org)
                .await?
                .into_iter()
                .find(|t| t.id == *id)
                .ok_or(ServiceError::NotFound("team"))?
                .location_id
        }
        PolicyScope::Person(id) => store.person(org, *id).await?.location_id,
    };
    if !actor.access().at(Role::Supervisor, location_id) {
        return Err(match scope {
            PolicyScope::Team(_) => ServiceError::NotFound("team"),
            _ => ServiceError::NotFound("person"),
        });
    }
    let location = store
        .locations(org)
        .await?
        .into_iter()
        .find(|l| l.id == location_id)
        .ok_or(ServiceError::NotFound("location"))?;
    let currency = location.currency;
    Ok((currency, organisation.max_amount_major))
}

fn amount(
    text: &str,
    currency: Currency,
    max_major: i64,
    field: &str,
) -> Result<i64, ServiceError> {
    parse_amount(text, currency)
        .and_then(|minor| check_within_limit(minor, max_major, currency))
        .map_err(|e| ServiceError::Invalid(format!("{field}: {e}")))
}

fn policy_json(policy: &BudgetPolicy, currency: Currency) -> serde_json::Value {
    serde_json::json!({
        "scope": scope_key(&policy.scope),
        "daily": format_minor(policy.daily_allowance, currency),
        "cap": policy.per_recovery_cap.map(|c| format_minor(c, currency)),
    })
}

/// Sets the daily budget (and optional per-recovery cap) for a scope, and audits it.
#[tracing::instrument(name = "budgets::set_policy", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn set_policy(
    store: &Store,
    actor: &Actor,
    scope: &str,
    daily: &str,
    cap: &str,
    now: DateTime<Utc>,
) -> Result<BudgetPolicy, ServiceError> {
    actor.require(Role::Supervisor)?;
    let org = actor.organisation_id;
    let scope = parse_scope(store, org, scope).await?;
    let (currency, max_major) = currency_of(store, actor, &scope).await?;
    let daily = amount(daily, currency, max_major, "Daily budget")?;
    let cap = match cap.trim() {
        "" => None,
        text => Some(amount(text, currency, max_major, "Per-recovery cap")?),
    };
    let policy =
        BudgetPolicy::new(scope, daily, cap).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let before = store
        .policies(org)
        .await?
        .into_iter()
        .find(|p| p.scope == policy.scope);
    store
        .set_policy_as(org, actor.person_id, &policy, now)
        .await?;
    crate::audit::record(
        store,
        actor,
        "budget.set-policy",
        &scope_key(&policy.scope),
        before.map(|p| policy_json(&p, currency)),
        Some(policy_json(&policy, currency)),
        now,
    )
    .await?;
    Ok(policy)
}

/// A boost as the form sends it: a scope key, the first and last day (inclusive, as
/// YYYY-MM-DD), the extra amount per day and a reason.
#[derive(Clone, Copy, Debug)]
pub struct BoostForm<'a> {
    pub scope: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub extra: &'a str,
    pub reason: &'a str,
}

/// Adds a temporary boost to a budget for a date range (inclusive), and audits it.
#[tracing::instrument(name = "budgets::add_boost", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn add_boost(
    store: &Store,
    actor: &Actor,
    form: BoostForm<'_>,
    now: DateTime<Utc>,
) -> Result<Boost, ServiceError> {
    let BoostForm {
        scope,
        from,
        to,
        extra,
        reason,
    } = form;
    actor.require(Role::Supervisor)?;
    let org = actor.organisation_id;
    let scope = parse_scope(store, org, scope).await?;
    let (currency, max_major) = currency_of(store, actor, &scope).await?;
    let date = |text: &str, field: &str| {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| ServiceError::Invalid(format!("{field}: use a date like 2026-12-01.")))
    };
    let (from, to) = (date(from, "From")?, date(to, "To")?);
    let extra = amount(extra, currency, max_major, "Extra per day")?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(ServiceError::Invalid(
            "Give a reason of up to 200 characters.".into(),
        ));
    }
    let boost =
        Boost::new(scope, from, to, extra).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    store
        .add_boost_as(org, actor.person_id, &boost, reason, now)
        .await?;
    crate::audit::record(
        store,
        actor,
        "budget.add-boost",
        &scope_key(&boost.scope),
        None,
        Some(serde_json::json!({
            "from": from.to_string(), "to": to.to_string(),
            "extra_per_day": format_minor(extra, currency), "reason": reason,
        })),
        now,
    )
    .await?;
    Ok(boost)
}
