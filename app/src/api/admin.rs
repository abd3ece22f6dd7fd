//! Administration: people and their roles, PINs, deactivation, sessions, budget policies and
//! boosts, and the audit log. Admins only; every change is recorded in the audit log with
//! who, when, before and after.

use leptos::prelude::*;

use super::error::ApiError;

pub use views::admin::{AdminSnapshot, AuditView, BoostView, PersonView, PolicyView, TeamView};

/// The `/admin` overview. A location's admin sees their locations' people, teams and budgets;
/// the organisation's settings and lists are read-only context.
#[server(endpoint = "admin/overview")]
pub async fn admin_overview() -> Result<AdminSnapshot, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    Ok(crate::services::admin::overview(&request.state.store, &caller.actor, request.now).await?)
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
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    let form = crate::services::admin::PersonForm {
        display_name: &display_name,
        username: &username,
        location_id,
        team_id: &team_id,
        role: &role,
        password: &password,
        pin: &pin,
    };
    crate::services::admin::add_person(&request.state.store, &caller.actor, request.now, form)
        .await?;
    Ok(())
}

/// Sets a new PIN for a person (e.g. they forgot it). The PIN itself is never logged.
#[server(endpoint = "admin/reset-pin")]
pub async fn reset_pin(person_id: i64, pin: String) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    let store = &request.state.store;
    crate::services::admin::reset_pin(store, &caller.actor, request.now, person_id, &pin).await?;
    Ok(())
}

/// Sets a new password for a person; every session of theirs ends. Never logged.
#[server(endpoint = "admin/reset-password")]
pub async fn reset_password(person_id: i64, password: String) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    let (store, now) = (&request.state.store, request.now);
    crate::services::admin::reset_password(store, &caller.actor, now, person_id, &password).await?;
    Ok(())
}

/// Deactivates a person (they can no longer sign in; their sessions end; history stays) or
/// reactivates them.
#[server(endpoint = "admin/set-active")]
pub async fn set_person_active(person_id: i64, active: bool) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    let store = &request.state.store;
    crate::services::admin::set_person_active(store, &caller.actor, request.now, person_id, active)
        .await?;
    Ok(())
}

/// Ends every session a person has, on every device.
#[server(endpoint = "admin/revoke-sessions")]
pub async fn revoke_sessions(person_id: i64) -> Result<u64, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    let store = &request.state.store;
    let revoked =
        crate::services::admin::revoke_sessions(store, &caller.actor, request.now, person_id)
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

/// The latest entries of the organisation's audit log. Organisation-wide admins only.
#[server(endpoint = "admin/audit")]
pub async fn audit_entries() -> Result<Vec<AuditView>, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_org_wide(crate::domain::org::Role::Admin).await?;
    Ok(crate::services::admin::audit_log(&request.state.store, &caller.actor).await?)
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
    crate::services::admin::update_organisation(
        &request.state.store,
        &caller.actor,
        request.now,
        &name,
        &currency,
        &time_zone,
    )
    .await?;
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
    crate::services::admin::add_location(
        &request.state.store,
        &caller.actor,
        request.now,
        &name,
        &time_zone,
        &currency,
    )
    .await?;
    Ok(())
}

/// Adds a team at a location, with the touchpoint its recoveries default to.
#[server(endpoint = "admin/add-team")]
pub async fn add_team(
    location_id: i64,
    name: String,
    default_touchpoint: String,
) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    crate::services::admin::add_team(
        &request.state.store,
        &caller.actor,
        request.now,
        location_id,
        &name,
        &default_touchpoint,
    )
    .await?;
    Ok(())
}

/// Adds an entry to a list: categories, touchpoints, remedies, causes or channels.
#[server(endpoint = "admin/add-taxonomy")]
pub async fn add_taxonomy_entry(kind: String, label: String) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_org_wide(crate::domain::org::Role::Admin).await?;
    let store = &request.state.store;
    crate::services::admin::add_taxonomy_entry(store, &caller.actor, request.now, &kind, &label)
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
    let (request, caller) =
        crate::api::caller::caller_org_wide(crate::domain::org::Role::Admin).await?;
    crate::services::admin::set_taxonomy_entry_active(
        &request.state.store,
        &caller.actor,
        request.now,
        &kind,
        &code,
        active,
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
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    crate::services::roles::change_role(
        &request.state.store,
        &caller.actor,
        person_id,
        &role,
        &location_id,
        true,
        request.now,
    )
    .await?;
    Ok(())
}

/// Takes a role away.
#[server(endpoint = "admin/revoke-role")]
pub async fn revoke_person_role(
    person_id: i64,
    role: String,
    location_id: String,
) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    crate::services::roles::change_role(
        &request.state.store,
        &caller.actor,
        person_id,
        &role,
        &location_id,
        false,
        request.now,
    )
    .await?;
    Ok(())
}
