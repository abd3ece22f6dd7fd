//! Administration: people and their roles, PINs, deactivation, sessions, budget policies and
//! boosts, and the audit log. Admins only; every change is recorded in the audit log with
//! who, when, before and after.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::ApiError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSnapshot {
    pub organisation_name: String,
    pub currency: String,
    pub time_zone: String,
    /// Every list entry: (kind, code, label, active).
    pub taxonomy: Vec<(String, String, String, bool)>,
    pub locations: Vec<(i64, String)>,
    pub teams: Vec<TeamView>,
    pub people: Vec<PersonView>,
    pub policies: Vec<PolicyView>,
    pub boosts: Vec<BoostView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub id: i64,
    pub name: String,
    pub location: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub id: i64,
    pub display_name: String,
    pub username: String,
    pub location: String,
    pub team: Option<String>,
    pub roles: Vec<String>,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    /// "organisation", "role:supervisor", "team:3", "person:12"
    pub scope: String,
    pub scope_label: String,
    pub daily: String,
    pub cap: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoostView {
    pub scope_label: String,
    pub from: String,
    pub to: String,
    pub extra_per_day: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use super::*;
    use crate::{
        api::caller::{Caller, Request},
        domain::money::Currency,
        store::{accounts::NewAuditEntry, Store},
    };

    pub async fn currency(store: &Store, organisation_id: i64) -> Result<Currency, ApiError> {
        let organisation = store.organisation(organisation_id).await?;
        Currency::parse(&organisation.currency).map_err(|_| ApiError::Internal)
    }

    /// The person, if the caller may administer them (see `services::roles`).
    pub async fn administrable(
        store: &Store,
        caller: &Caller,
        person_id: i64,
    ) -> Result<crate::store::organisations::Person, ApiError> {
        Ok(crate::services::roles::administrable(store, &caller.actor, person_id).await?)
    }

    /// Appends one administrative change to the organisation's audit log.
    pub async fn record(
        request: &Request,
        caller: &Caller,
        action: &str,
        subject: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), ApiError> {
        let entry = NewAuditEntry {
            organisation_id: caller.organisation_id,
            actor_id: Some(caller.person_id),
            action,
            subject,
            before,
            after,
        };
        request.state.store.audit(&entry, request.now).await?;
        Ok(())
    }

    /// A trimmed name of 1 to `max` characters for a `what` ("location", "team", …).
    pub fn name<'a>(text: &'a str, what: &str, max: usize) -> Result<&'a str, ApiError> {
        let name = text.trim();
        if name.is_empty() || name.chars().count() > max {
            return Err(ApiError::Validation(format!(
                "Give the {what} a name of up to {max} characters."
            )));
        }
        Ok(name)
    }

    /// An ISO 4217 currency and an IANA time zone from a form.
    pub fn currency_and_zone(
        currency: &str,
        zone: &str,
    ) -> Result<(Currency, chrono_tz::Tz), ApiError> {
        let currency =
            Currency::parse(currency).map_err(|e| ApiError::Validation(e.to_string()))?;
        let zone = crate::domain::budget_day::parse_time_zone(zone)
            .map_err(|e| ApiError::Validation(e.to_string()))?;
        Ok((currency, zone))
    }
}

#[server(endpoint = "admin/overview")]
pub async fn admin_overview() -> Result<AdminSnapshot, ApiError> {
    use crate::domain::{money::format_minor, policy::PolicyScope};
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    let store = &request.state.store;
    let org = caller.organisation_id;
    let organisation = store.organisation(org).await?;
    let currency = server::currency(store, org).await?;
    // A location's admin sees their locations' people, teams and budgets; the organisation's
    // settings and lists are read-only context.
    let scope = caller.scope_of(crate::domain::org::Role::Admin);
    let in_scope = |location_id: i64| scope.as_ref().is_none_or(|ids| ids.contains(&location_id));
    let mut locations = store.locations(org).await?;
    let teams: Vec<_> = store
        .teams(org)
        .await?
        .into_iter()
        .filter(|t| in_scope(t.location_id))
        .collect();
    let people: Vec<_> = store
        .people(org)
        .await?
        .into_iter()
        .filter(|p| in_scope(p.location_id))
        .collect();
    let grants = store.role_grants(org).await?;
    let visible = |scope: &PolicyScope| match scope {
        PolicyScope::Organisation | PolicyScope::Role(_) => true,
        PolicyScope::Team(id) => teams.iter().any(|t| t.id == *id),
        PolicyScope::Person(id) => people.iter().any(|p| p.id == *id),
    };
    let location_name = |id: i64| {
        locations
            .iter()
            .find(|l| l.id == id)
            .map(|l| l.name.clone())
            .unwrap_or_default()
    };
    let team_name = |id: i64| teams.iter().find(|t| t.id == id).map(|t| t.name.clone());
    let person_name = |id: i64| {
        people
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.display_name.clone())
    };
    let scope_label = |scope: &PolicyScope| match scope {
        PolicyScope::Organisation => "Everyone (organisation default)".to_string(),
        PolicyScope::Role(role) => format!("Role: {}", role.as_str()),
        PolicyScope::Team(id) => format!("Team: {}", team_name(*id).unwrap_or_default()),
        PolicyScope::Person(id) => format!("Person: {}", person_name(*id).unwrap_or_default()),
    };
    let mut policies: Vec<PolicyView> = store
        .policies(org)
        .await?
        .iter()
        .filter(|p| visible(&p.scope))
        .map(|p| PolicyView {
            scope: crate::services::budgets::scope_key(&p.scope),
            scope_label: scope_label(&p.scope),
            daily: format_minor(p.daily_allowance, currency),
            cap: p.per_recovery_cap.map(|c| format_minor(c, currency)),
        })
        .collect();
    policies.sort_by(|a, b| a.scope.cmp(&b.scope));
    let boosts = store
        .boosts(org, request.now.date_naive() - chrono::Duration::days(1))
        .await?
        .iter()
        .filter(|b| visible(&b.scope))
        .map(|b| BoostView {
            scope_label: scope_label(&b.scope),
            from: b.from.to_string(),
            to: b.to.to_string(),
            extra_per_day: format_minor(b.extra_per_day, currency),
        })
        .collect();
    let taxonomy = store
        .taxonomy_all(org)
        .await?
        .into_iter()
        .map(|(row, active)| (row.kind, row.code, row.label, active))
        .collect();
    Ok(AdminSnapshot {
        organisation_name: organisation.name,
        currency: organisation.currency,
        time_zone: organisation.time_zone,
        taxonomy,
        teams: teams
            .iter()
            .map(|t| TeamView {
                id: t.id,
                name: t.name.clone(),
                location: location_name(t.location_id),
            })
            .collect(),
        people: people
            .iter()
            .map(|p| PersonView {
                id: p.id,
                display_name: p.display_name.clone(),
                username: p.username.clone(),
                location: location_name(p.location_id),
                team: p.team_id.and_then(team_name),
                roles: grants
                    .iter()
                    .filter(|(person, _, _)| *person == p.id)
                    .map(|(_, role, location)| match location {
                        Some(id) => format!("{} ({})", role.as_str(), location_name(*id)),
                        None => role.as_str().to_string(),
                    })
                    .collect(),
                active: p.active,
            })
            .collect(),
        locations: {
            locations.retain(|l| in_scope(l.id));
            locations.iter().map(|l| (l.id, l.name.clone())).collect()
        },
        policies,
        boosts,
    })
}

/// Creates a person with a password, an optional PIN and one role at their location.
#[server(endpoint = "admin/add-person")]
pub async fn add_person(
    display_name: String,
    username: String,
    location_id: i64,
    team_id: String,
    role: String,
    password: String,
    pin: String,
) -> Result<(), ApiError> {
    use crate::{
        auth::password::{self as pw, Secret},
        domain::org::Role,
        store::organisations::NewPerson,
    };
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    let store = &request.state.store;
    let org = caller.organisation_id;
    // A location's admin adds people to their own location only; the new person's role is
    // granted at that location, never organisation-wide.
    caller
        .require_at(Role::Admin, location_id)
        .map_err(|_| ApiError::NotFound("location".into()))?;
    let role = Role::parse(&role).map_err(|e| ApiError::Validation(e.to_string()))?;
    let team_id = match team_id.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| ApiError::Validation("Choose a team.".into()))?,
        ),
    };
    let username = username.trim().to_lowercase();
    if username.len() < 2
        || username.len() > 40
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(ApiError::Validation(
            "A username is 2 to 40 letters, digits, dots, dashes or underscores.".into(),
        ));
    }
    if display_name.trim().is_empty() || display_name.chars().count() > 80 {
        return Err(ApiError::Validation(
            "Enter a name of up to 80 characters.".into(),
        ));
    }
    let password = Secret::new(password);
    pw::check_password_rules(&password).map_err(|e| ApiError::Validation(e.to_string()))?;
    let pin = match pin.trim() {
        "" => None,
        digits => {
            let pin = Secret::new(digits);
            pw::check_pin_rules(&pin).map_err(|e| ApiError::Validation(e.to_string()))?;
            Some(pin)
        }
    };
    let password_hash = pw::hash(password).await.map_err(|_| ApiError::Internal)?;
    let pin_hash = match pin {
        Some(pin) => Some(pw::hash(pin).await.map_err(|_| ApiError::Internal)?),
        None => None,
    };
    let person = store
        .create_person(
            &NewPerson {
                organisation_id: org,
                location_id,
                team_id,
                display_name: &display_name,
                username: &username,
                email: None,
                password_hash: Some(&password_hash),
                pin_hash: pin_hash.as_deref(),
            },
            request.now,
        )
        .await?;
    store
        .grant_role(org, person.id, role, Some(location_id), request.now)
        .await?;
    server::record(
        &request,
        &caller,
        "person.create",
        &format!("person:{}", person.id),
        None,
        Some(serde_json::json!({
            "name": person.display_name, "username": person.username, "location_id": location_id,
            "team_id": team_id, "role": role.as_str(), "pin_set": pin_hash.is_some(),
        })),
    )
    .await?;
    Ok(())
}

/// Sets a new PIN for a person (e.g. they forgot it). The PIN itself is never logged.
#[server(endpoint = "admin/reset-pin")]
pub async fn reset_pin(person_id: i64, pin: String) -> Result<(), ApiError> {
    use crate::auth::password::{self as pw, Secret};
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    let store = &request.state.store;
    server::administrable(store, &caller, person_id).await?;
    let pin = Secret::new(pin.trim());
    pw::check_pin_rules(&pin).map_err(|e| ApiError::Validation(e.to_string()))?;
    let hash = pw::hash(pin).await.map_err(|_| ApiError::Internal)?;
    store
        .set_pin_hash(caller.organisation_id, person_id, &hash)
        .await?;
    store.clear_sign_in_failures(person_id).await?;
    server::record(
        &request,
        &caller,
        "person.reset-pin",
        &format!("person:{person_id}"),
        None,
        None,
    )
    .await?;
    Ok(())
}

/// Deactivates a person (they can no longer sign in; their sessions end; history stays) or
/// reactivates them.
#[server(endpoint = "admin/set-active")]
pub async fn set_person_active(person_id: i64, active: bool) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    if person_id == caller.person_id && !active {
        return Err(ApiError::Validation(
            "You cannot deactivate yourself.".into(),
        ));
    }
    let store = &request.state.store;
    let before = server::administrable(store, &caller, person_id).await?;
    store
        .set_person_active(caller.organisation_id, person_id, active)
        .await?;
    if !active {
        store
            .revoke_sessions_of(caller.organisation_id, person_id, request.now)
            .await?;
    }
    server::record(
        &request,
        &caller,
        if active {
            "person.reactivate"
        } else {
            "person.deactivate"
        },
        &format!("person:{person_id}"),
        Some(serde_json::json!({ "active": before.active })),
        Some(serde_json::json!({ "active": active })),
    )
    .await?;
    Ok(())
}

/// Ends every session a person has, on every device.
#[server(endpoint = "admin/revoke-sessions")]
pub async fn revoke_sessions(person_id: i64) -> Result<u64, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    let store = &request.state.store;
    server::administrable(store, &caller, person_id).await?;
    let revoked = store
        .revoke_sessions_of(caller.organisation_id, person_id, request.now)
        .await?;
    server::record(
        &request,
        &caller,
        "person.revoke-sessions",
        &format!("person:{person_id}"),
        None,
        Some(serde_json::json!({ "sessions_revoked": revoked })),
    )
    .await?;
    Ok(revoked)
}

/// Sets the daily budget (and optional per-recovery cap) for a scope. Takes effect at the
/// next budget evaluation. Admins set any scope; supervisors a person's or team's at the
/// locations they supervise.
#[server(endpoint = "admin/set-policy")]
pub async fn set_budget_policy(scope: String, daily: String, cap: String) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    crate::services::budgets::set_policy(
        &request.state.store,
        &caller.actor,
        &scope,
        &daily,
        &cap,
        request.now,
    )
    .await?;
    Ok(())
}

/// Adds a temporary boost to a budget for a date range (inclusive), e.g. during a renovation.
/// Admins boost any scope; supervisors a person or team at the locations they supervise.
#[server(endpoint = "admin/add-boost")]
pub async fn add_budget_boost(
    scope: String,
    from: String,
    to: String,
    extra: String,
    reason: String,
) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    crate::services::budgets::add_boost(
        &request.state.store,
        &caller.actor,
        crate::services::budgets::BoostForm {
            scope: &scope,
            from: &from,
            to: &to,
            extra: &extra,
            reason: &reason,
        },
        request.now,
    )
    .await?;
    Ok(())
}

#[server(endpoint = "admin/audit")]
pub async fn audit_entries() -> Result<Vec<AuditView>, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_org_wide(crate::domain::org::Role::Admin).await?;
    Ok(request
        .state
        .store
        .audit_log(caller.organisation_id, 100)
        .await?
        .into_iter()
        .map(|e| AuditView {
            at: e.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            actor: e.actor_name.unwrap_or_else(|| "system".into()),
            action: e.action,
            subject: e.subject,
            before: e.before_json,
            after: e.after_json,
        })
        .collect())
}

/// Changes the organisation's name, default currency and default time zone.
#[server(endpoint = "admin/update-organisation")]
pub async fn update_organisation(
    name: String,
    currency: String,
    time_zone: String,
) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_org_wide(crate::domain::org::Role::Admin).await?;
    let store = &request.state.store;
    let name = server::name(&name, "organisation", 80)?;
    let (currency, zone) = server::currency_and_zone(&currency, &time_zone)?;
    let before = store.organisation(caller.organisation_id).await?;
    let after = store
        .update_organisation(caller.organisation_id, name, currency, zone)
        .await?;
    server::record(&request, &caller, "organisation.update", &format!("organisation:{}", caller.organisation_id), Some(serde_json::json!({ "name": before.name, "currency": before.currency, "time_zone": before.time_zone })), Some(serde_json::json!({ "name": after.name, "currency": after.currency, "time_zone": after.time_zone }))).await?;
    Ok(())
}

/// Adds a location with its own time zone and currency.
#[server(endpoint = "admin/add-location")]
pub async fn add_location(
    name: String,
    time_zone: String,
    currency: String,
) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_org_wide(crate::domain::org::Role::Admin).await?;
    let store = &request.state.store;
    let name = server::name(&name, "location", 80)?;
    let (currency, zone) = server::currency_and_zone(&currency, &time_zone)?;
    let location = store
        .create_location(caller.organisation_id, name, zone, currency, request.now)
        .await?;
    server::record(&request, &caller, "location.create", &format!("location:{}", location.id), None, Some(serde_json::json!({ "name": location.name, "time_zone": location.time_zone, "currency": location.currency }))).await?;
    Ok(())
}

/// Adds a team at a location, with the touchpoint its recoveries default to.
#[server(endpoint = "admin/add-team")]
pub async fn add_team(
    location_id: i64,
    name: String,
    default_touchpoint: String,
) -> Result<(), ApiError> {
    use crate::domain::org::TaxonomyKind;
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    caller
        .require_at(crate::domain::org::Role::Admin, location_id)
        .map_err(|_| ApiError::NotFound("location".into()))?;
    let store = &request.state.store;
    let name = server::name(&name, "team", 80)?;
    let touchpoint = match default_touchpoint.trim() {
        "" => None,
        code => {
            let codes = store
                .taxonomy_codes(caller.organisation_id, TaxonomyKind::Touchpoint)
                .await?;
            if !codes.iter().any(|c| c == code) {
                return Err(ApiError::Validation(
                    "Choose a touchpoint from the list.".into(),
                ));
            }
            Some(code.to_string())
        }
    };
    let team = store
        .create_team(
            caller.organisation_id,
            location_id,
            name,
            touchpoint.as_deref(),
            request.now,
        )
        .await?;
    server::record(&request, &caller, "team.create", &format!("team:{}", team.id), None, Some(serde_json::json!({ "name": team.name, "location_id": location_id, "default_touchpoint": team.default_touchpoint }))).await?;
    Ok(())
}

/// Adds an entry to a list: categories, touchpoints, remedies, causes or channels.
#[server(endpoint = "admin/add-taxonomy")]
pub async fn add_taxonomy_entry(kind: String, label: String) -> Result<(), ApiError> {
    use crate::domain::org::TaxonomyKind;
    let (request, caller) =
        crate::api::caller::caller_org_wide(crate::domain::org::Role::Admin).await?;
    let kind = TaxonomyKind::parse(&kind).map_err(|e| ApiError::Validation(e.to_string()))?;
    if matches!(
        kind,
        TaxonomyKind::Remedy | TaxonomyKind::Cause | TaxonomyKind::Channel
    ) {
        // These are the product's fixed lists: the form and the reports rely on their codes.
        return Err(ApiError::Validation(
            "Remedies, causes and channels are fixed lists; add categories or touchpoints.".into(),
        ));
    }
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 60 {
        return Err(ApiError::Validation(
            "Give the entry a name of up to 60 characters.".into(),
        ));
    }
    let store = &request.state.store;
    let row = store
        .add_taxonomy_entry(caller.organisation_id, kind, label)
        .await?;
    server::record(
        &request,
        &caller,
        "taxonomy.add",
        &format!("{}:{}", row.kind, row.code),
        None,
        Some(serde_json::json!({ "label": row.label })),
    )
    .await?;
    Ok(())
}

/// Retires a list entry (or brings it back). Past recoveries keep naming it.
#[server(endpoint = "admin/set-taxonomy-active")]
pub async fn set_taxonomy_entry_active(
    kind: String,
    code: String,
    active: bool,
) -> Result<(), ApiError> {
    use crate::domain::org::TaxonomyKind;
    let (request, caller) =
        crate::api::caller::caller_org_wide(crate::domain::org::Role::Admin).await?;
    let kind = TaxonomyKind::parse(&kind).map_err(|e| ApiError::Validation(e.to_string()))?;
    let store = &request.state.store;
    store
        .set_taxonomy_entry_active(caller.organisation_id, kind, &code, active)
        .await?;
    server::record(
        &request,
        &caller,
        if active {
            "taxonomy.restore"
        } else {
            "taxonomy.retire"
        },
        &format!("{}:{code}", kind.as_str()),
        Some(serde_json::json!({ "active": !active })),
        Some(serde_json::json!({ "active": active })),
    )
    .await?;
    Ok(())
}

/// Grants a role, organisation-wide (`location_id` empty) or at one location.
#[server(endpoint = "admin/grant-role")]
pub async fn grant_person_role(
    person_id: i64,
    role: String,
    location_id: String,
) -> Result<(), ApiError> {
    change_role(person_id, role, location_id, true).await
}

/// Takes a role away.
#[server(endpoint = "admin/revoke-role")]
pub async fn revoke_person_role(
    person_id: i64,
    role: String,
    location_id: String,
) -> Result<(), ApiError> {
    change_role(person_id, role, location_id, false).await
}

#[cfg(feature = "ssr")]
async fn change_role(
    person_id: i64,
    role: String,
    location_id: String,
    grant: bool,
) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    // Roles are read on every request, so the change applies at once; no session to touch.
    crate::services::roles::change_role(
        &request.state.store,
        &caller.actor,
        person_id,
        &role,
        &location_id,
        grant,
        request.now,
    )
    .await?;
    Ok(())
}
