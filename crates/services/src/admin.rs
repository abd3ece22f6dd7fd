//! Administration: people and their roles, PINs, deactivation, sessions, the organisation's
//! settings, locations, teams and lists, and the audit log. Admins only; every change is
//! recorded in the audit log with who, when, before and after.
//!
//! A location's admin is limited (docs/ACCESS.md): they see their locations' people, teams
//! and budgets, add people and teams at their locations, and administer only people wholly
//! inside their locations (`roles::administrable`); the organisation's settings, locations,
//! lists and audit log need an organisation-wide admin.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use domain::{
    budget_day::parse_time_zone,
    money::{format_minor, Currency},
    org::{Role, TaxonomyKind},
    policy::PolicyScope,
};
use store::{organisations::NewPerson, Store};
use views::admin::{AdminSnapshot, AuditView, BoostView, PersonView, PolicyView, TeamView};

use crate::{
    auth::password::{self as pw, Secret},
    roles::administrable,
    Actor, ServiceError,
};

/// A trimmed name of 1 to `max` characters for a `what` ("location", "team", …).
fn checked_name<'a>(text: &'a str, what: &str, max: usize) -> Result<&'a str, ServiceError> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > max {
        return Err(ServiceError::Invalid(format!(
            "Give the {what} a name of up to {max} characters."
        )));
    }
    Ok(name)
}

/// An ISO 4217 currency and an IANA time zone from a form.
fn currency_and_zone(currency: &str, zone: &str) -> Result<(Currency, Tz), ServiceError> {
    let currency = Currency::parse(currency).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let zone = parse_time_zone(zone).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    Ok((currency, zone))
}

/// The `/admin` overview: the organisation's settings and lists, its locations, teams,
/// people (with their roles), budget policies and the boosts ending yesterday or later,
/// amounts in the organisation's currency. A location's admin sees their locations' people,
/// teams and budgets; the organisation's settings and lists are read-only context.
#[tracing::instrument(name = "admin::overview", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn overview(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<AdminSnapshot, ServiceError> {
    let scope = actor.scope(Role::Admin)?;
    let org = actor.organisation_id;
    let organisation = store.organisation(org).await?;
    let currency = organisation.currency;
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
            scope: crate::budgets::scope_key(&p.scope),
            scope_label: scope_label(&p.scope),
            daily: format_minor(p.daily_allowance, currency),
            cap: p.per_recovery_cap.map(|c| format_minor(c, currency)),
        })
        .collect();
    policies.sort_by(|a, b| a.scope.cmp(&b.scope));
    let boosts = store
        .boosts(org, now.date_naive() - chrono::Duration::days(1))
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
        organisation_slug: organisation.slug,
        currency: organisation.currency.code().to_string(),
        time_zone: organisation.time_zone.name().to_string(),
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

/// A new person as the form sends it: name, username, home location, team (empty: none),
/// role, password and PIN (empty: none). Not `Debug`: it carries the password and PIN.
#[derive(Clone, Copy)]
pub struct PersonForm<'a> {
    pub display_name: &'a str,
    pub username: &'a str,
    pub location_id: i64,
    pub team_id: &'a str,
    pub role: &'a str,
    pub password: &'a str,
    pub pin: &'a str,
}

/// Creates a person with a password, an optional PIN and one role at their location, and
/// audits it. A location's admin adds people to their own location only; the new person's
/// role is granted at that location, never organisation-wide.
#[tracing::instrument(name = "admin::add_person", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn add_person(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    form: PersonForm<'_>,
) -> Result<(), ServiceError> {
    let PersonForm {
        display_name,
        username,
        location_id,
        team_id,
        role,
        password,
        pin,
    } = form;
    actor.require(Role::Admin)?;
    let org = actor.organisation_id;
    // A location's admin adds people to their own location only; the new person's role is
    // granted at that location, never organisation-wide.
    if !actor.access().at(Role::Admin, location_id) {
        return Err(ServiceError::NotFound("location"));
    }
    let role = Role::parse(role).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let team_id = match team_id.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| ServiceError::Invalid("Choose a team.".into()))?,
        ),
    };
    let username = username.trim().to_lowercase();
    if username.len() < 2
        || username.len() > 40
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(ServiceError::Invalid(
            "A username is 2 to 40 letters, digits, dots, dashes or underscores.".into(),
        ));
    }
    if display_name.trim().is_empty() || display_name.chars().count() > 80 {
        return Err(ServiceError::Invalid(
            "Enter a name of up to 80 characters.".into(),
        ));
    }
    let password = Secret::new(password);
    pw::check_password_rules(&password).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let pin = match pin.trim() {
        "" => None,
        digits => {
            let pin = Secret::new(digits);
            pw::check_pin_rules(&pin).map_err(|e| ServiceError::Invalid(e.to_string()))?;
            Some(pin)
        }
    };
    let password_hash = pw::hash(password).await?;
    let pin_hash = match pin {
        Some(pin) => Some(pw::hash(pin).await?),
        None => None,
    };
    let person = store
        .create_person(
            &NewPerson {
                organisation_id: org,
                location_id,
                team_id,
                display_name,
                username: &username,
                email: None,
                password_hash: Some(&password_hash),
                pin_hash: pin_hash.as_deref(),
            },
            now,
        )
        .await?;
    store
        .grant_role(org, person.id, role, Some(location_id), now)
        .await?;
    crate::audit::record(
        store,
        actor,
        "person.create",
        &format!("person:{}", person.id),
        None,
        Some(serde_json::json!({
            "name": person.display_name, "username": person.username, "location_id": location_id,
            "team_id": team_id, "role": role.as_str(), "pin_set": pin_hash.is_some(),
        })),
        now,
    )
    .await?;
    Ok(())
}

/// Sets a new password for a person (they forgot theirs, or it may be known to someone
/// else): every session of theirs ends, and the run of wrong passwords for their username
/// ends. The password itself is never logged.
#[tracing::instrument(name = "admin::reset_password", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn reset_password(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    person_id: i64,
    password: &str,
) -> Result<(), ServiceError> {
    actor.require(Role::Admin)?;
    administrable(store, actor, person_id).await?;
    let password = Secret::new(password);
    pw::check_password_rules(&password).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let password_hash = pw::hash(password).await?;
    store
        .set_password_hash(actor.organisation_id, person_id, &password_hash)
        .await?;
    store
        .revoke_sessions_of(actor.organisation_id, person_id, now)
        .await?;
    if let Some(credentials) = store
        .credentials_of(actor.organisation_id, person_id)
        .await?
    {
        let keys = store::security::AttemptKeys {
            subject: crate::auth::throttle::password_subject(
                &credentials.organisation_slug,
                &credentials.username,
            ),
            device: format!("admin:{}", actor.person_id),
        };
        store
            .forgive_attempts(store::accounts::AttemptKind::Password, &keys, now)
            .await?;
    }
    crate::audit::record(
        store,
        actor,
        "person.reset-password",
        &format!("person:{person_id}"),
        None,
        None,
        now,
    )
    .await?;
    Ok(())
}

/// Sets a new PIN for a person (e.g. they forgot it) and clears their failed sign-ins. The
/// PIN itself is never logged.
#[tracing::instrument(name = "admin::reset_pin", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn reset_pin(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    person_id: i64,
    pin: &str,
) -> Result<(), ServiceError> {
    actor.require(Role::Admin)?;
    administrable(store, actor, person_id).await?;
    let pin = Secret::new(pin.trim());
    pw::check_pin_rules(&pin).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let pin_hash = pw::hash(pin).await?;
    store
        .set_pin_hash(actor.organisation_id, person_id, &pin_hash)
        .await?;
    // A new PIN ends the run of wrong ones before it (the attempts stay on record).
    store
        .forgive_attempts(
            store::accounts::AttemptKind::Pin,
            &crate::auth::throttle::pin_keys(person_id, &format!("admin:{}", actor.person_id)),
            now,
        )
        .await?;
    crate::audit::record(
        store,
        actor,
        "person.reset-pin",
        &format!("person:{person_id}"),
        None,
        None,
        now,
    )
    .await?;
    Ok(())
}

/// Deactivates a person (they can no longer sign in; their sessions end; history stays) or
/// reactivates them. Nobody deactivates themselves.
#[tracing::instrument(name = "admin::set_person_active", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn set_person_active(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    person_id: i64,
    active: bool,
) -> Result<(), ServiceError> {
    actor.require(Role::Admin)?;
    if person_id == actor.person_id && !active {
        return Err(ServiceError::Invalid(
            "You cannot deactivate yourself.".into(),
        ));
    }
    let before = administrable(store, actor, person_id).await?;
    store
        .set_person_active(actor.organisation_id, person_id, active)
        .await?;
    if !active {
        store
            .revoke_sessions_of(actor.organisation_id, person_id, now)
            .await?;
    }
    crate::audit::record(
        store,
        actor,
        if active {
            "person.reactivate"
        } else {
            "person.deactivate"
        },
        &format!("person:{person_id}"),
        Some(serde_json::json!({ "active": before.active })),
        Some(serde_json::json!({ "active": active })),
        now,
    )
    .await?;
    Ok(())
}

/// Ends every session a person has, on every device; answers how many ended.
#[tracing::instrument(name = "admin::revoke_sessions", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn revoke_sessions(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    person_id: i64,
) -> Result<u64, ServiceError> {
    actor.require(Role::Admin)?;
    administrable(store, actor, person_id).await?;
    let revoked = store
        .revoke_sessions_of(actor.organisation_id, person_id, now)
        .await?;
    crate::audit::record(
        store,
        actor,
        "person.revoke-sessions",
        &format!("person:{person_id}"),
        None,
        Some(serde_json::json!({ "sessions_revoked": revoked })),
        now,
    )
    .await?;
    Ok(revoked)
}

/// The latest 100 entries of the organisation's audit log, newest first. Organisation-wide
/// admins only.
#[tracing::instrument(name = "admin::audit_log", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn audit_log(store: &Store, actor: &Actor) -> Result<Vec<AuditView>, ServiceError> {
    actor.require_org_wide(Role::Admin)?;
    Ok(store
        .audit_log(actor.organisation_id, 100)
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

/// Changes the organisation's name, default currency and default time zone, and audits it.
/// Organisation-wide admins only.
#[tracing::instrument(name = "admin::update_organisation", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn update_organisation(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    name: &str,
    currency: &str,
    time_zone: &str,
) -> Result<(), ServiceError> {
    actor.require_org_wide(Role::Admin)?;
    let name = checked_name(name, "organisation", 80)?;
    let (currency, zone) = currency_and_zone(currency, time_zone)?;
    let before = store.organisation(actor.organisation_id).await?;
    let after = store
        .update_organisation(actor.organisation_id, name, currency, zone)
        .await?;
    crate::audit::record(
        store,
        actor,
        "organisation.update",
        &format!("organisation:{}", actor.organisation_id),
        Some(serde_json::json!({
            "name": before.name, "currency": before.currency, "time_zone": before.time_zone,
        })),
        Some(serde_json::json!({
            "name": after.name, "currency": after.currency, "time_zone": after.time_zone,
        })),
        now,
    )
    .await?;
    Ok(())
}

/// Adds a location with its own time zone and currency, and audits it. Organisation-wide
/// admins only.
#[tracing::instrument(name = "admin::add_location", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn add_location(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    name: &str,
    time_zone: &str,
    currency: &str,
) -> Result<(), ServiceError> {
    actor.require_org_wide(Role::Admin)?;
    let name = checked_name(name, "location", 80)?;
    let (currency, zone) = currency_and_zone(currency, time_zone)?;
    let location = store
        .create_location(actor.organisation_id, name, zone, currency, now)
        .await?;
    crate::audit::record(
        store,
        actor,
        "location.create",
        &format!("location:{}", location.id),
        None,
        Some(serde_json::json!({
            "name": location.name, "time_zone": location.time_zone, "currency": location.currency,
        })),
        now,
    )
    .await?;
    Ok(())
}

/// Adds a team at a location, with the touchpoint its recoveries default to (empty: none),
/// and audits it. A location's admin adds teams at their locations only.
#[tracing::instrument(name = "admin::add_team", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn add_team(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    location_id: i64,
    name: &str,
    default_touchpoint: &str,
) -> Result<(), ServiceError> {
    actor.require(Role::Admin)?;
    if !actor.access().at(Role::Admin, location_id) {
        return Err(ServiceError::NotFound("location"));
    }
    let name = checked_name(name, "team", 80)?;
    let touchpoint = match default_touchpoint.trim() {
        "" => None,
        code => {
            let codes = store
                .taxonomy_codes(actor.organisation_id, TaxonomyKind::Touchpoint)
                .await?;
            if !codes.iter().any(|c| c == code) {
                return Err(ServiceError::Invalid(
                    "Choose a touchpoint from the list.".into(),
                ));
            }
            Some(code.to_string())
        }
    };
    let team = store
        .create_team(
            actor.organisation_id,
            location_id,
            name,
            touchpoint.as_deref(),
            now,
        )
        .await?;
    crate::audit::record(
        store,
        actor,
        "team.create",
        &format!("team:{}", team.id),
        None,
        Some(serde_json::json!({
            "name": team.name, "location_id": location_id,
            "default_touchpoint": team.default_touchpoint,
        })),
        now,
    )
    .await?;
    Ok(())
}

/// Adds an entry to a list (categories or touchpoints; remedies, causes and channels are
/// the product's fixed lists), and audits it. Organisation-wide admins only.
#[tracing::instrument(name = "admin::add_taxonomy_entry", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn add_taxonomy_entry(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    kind: &str,
    label: &str,
) -> Result<(), ServiceError> {
    actor.require_org_wide(Role::Admin)?;
    let kind = TaxonomyKind::parse(kind).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    if matches!(
        kind,
        TaxonomyKind::Remedy | TaxonomyKind::Cause | TaxonomyKind::Channel
    ) {
        // These are the product's fixed lists: the form and the reports rely on their codes.
        return Err(ServiceError::Invalid(
            "Remedies, causes and channels are fixed lists; add categories or touchpoints.".into(),
        ));
    }
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 60 {
        return Err(ServiceError::Invalid(
            "Give the entry a name of up to 60 characters.".into(),
        ));
    }
    let row = store
        .add_taxonomy_entry(actor.organisation_id, kind, label)
        .await?;
    crate::audit::record(
        store,
        actor,
        "taxonomy.add",
        &format!("{}:{}", row.kind, row.code),
        None,
        Some(serde_json::json!({ "label": row.label })),
        now,
    )
    .await?;
    Ok(())
}

/// Retires a list entry (or brings it back), and audits it. Past recoveries keep naming it.
/// Organisation-wide admins only.
#[tracing::instrument(name = "admin::set_taxonomy_entry_active", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn set_taxonomy_entry_active(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    kind: &str,
    code: &str,
    active: bool,
) -> Result<(), ServiceError> {
    actor.require_org_wide(Role::Admin)?;
    let kind = TaxonomyKind::parse(kind).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    store
        .set_taxonomy_entry_active(actor.organisation_id, kind, code, active)
        .await?;
    crate::audit::record(
        store,
        actor,
        if active {
            "taxonomy.restore"
        } else {
            "taxonomy.retire"
        },
        &format!("{}:{code}", kind.as_str()),
        Some(serde_json::json!({ "active": !active })),
        Some(serde_json::json!({ "active": active })),
        now,
    )
    .await?;
    Ok(())
}
