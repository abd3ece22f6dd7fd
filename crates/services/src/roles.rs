//! Granting and taking away roles. Only an admin, only for people they administer, and only
//! within their own scope (`domain::access::may_change_role`): a location's admin grants at
//! that location and never organisation-wide; nobody takes away their own admin role.

use chrono::{DateTime, Utc};
use domain::{
    access::{may_administer, may_change_role, may_change_roles_of, Grants},
    org::Role,
};
use store::{organisations::Person, Store};

use crate::{Actor, ServiceError};

/// The person, if the actor may administer them; anyone else's id reads as not found.
pub async fn administrable(
    store: &Store,
    actor: &Actor,
    person_id: i64,
) -> Result<Person, ServiceError> {
    actor.require(Role::Admin)?;
    let person = store.person(actor.organisation_id, person_id).await?;
    let theirs = store.grants_of(actor.organisation_id, person_id).await?;
    may_administer(actor.access(), person.location_id, Grants(&theirs))
        .map_err(|_| ServiceError::NotFound("person"))?;
    Ok(person)
}

/// Grants (`grant`) or takes away a role, organisation-wide (`location_id` empty) or at one
/// location, and audits it.
#[tracing::instrument(name = "roles::change_role", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn change_role(
    store: &Store,
    actor: &Actor,
    person_id: i64,
    role: &str,
    location_id: &str,
    grant: bool,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    actor.require(Role::Admin)?;
    let org = actor.organisation_id;
    let role = Role::parse(role).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let location_id = match location_id.trim() {
        "" => None,
        id => Some(
            id.parse::<i64>()
                .map_err(|_| ServiceError::Invalid("Choose a location.".into()))?,
        ),
    };
    administrable(store, actor, person_id).await?;
    may_change_roles_of(actor.person_id, person_id)?;
    if let Some(id) = location_id {
        if !store.locations(org).await?.iter().any(|l| l.id == id) {
            return Err(ServiceError::NotFound("location"));
        }
    }
    may_change_role(actor.access(), role, location_id)?;
    // Roles are read on every request, so the change applies at once; no session to touch.
    if grant {
        store
            .grant_role(org, person_id, role, location_id, now)
            .await?;
    } else {
        store.revoke_role(org, person_id, role, location_id).await?;
    }
    let grant_json = serde_json::json!({ "role": role.as_str(), "location_id": location_id });
    crate::audit::record(
        store,
        actor,
        if grant { "role.grant" } else { "role.revoke" },
        &format!("person:{person_id}"),
        (!grant).then(|| grant_json.clone()),
        grant.then_some(grant_json),
        now,
    )
    .await?;
    Ok(())
}
