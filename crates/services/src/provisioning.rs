//! Bootstrapping, for whoever runs the server: create an organisation (with its first
//! location) and create a user with roles. There is no actor — the command line runs with the
//! database's own authority — so these are for the operator's command line and the demo seed
//! only, never for a request. The store still applies every rule it holds (money limits, the
//! separation-of-duties checks).

use chrono::{DateTime, Utc};
use domain::{
    budget_day::parse_time_zone,
    money::Currency,
    org::{Industry, Role},
};
use store::{
    organisations::{Location, NewOrganisation, NewPerson, Organisation, Person},
    Store,
};

use crate::{
    auth::password::{self, Secret},
    ServiceError,
};

pub struct CreateOrganisation<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub industry: &'a str,
    pub currency: &'a str,
    pub time_zone: &'a str,
    pub first_location: &'a str,
}

fn invalid(field: &str, error: impl std::fmt::Display) -> ServiceError {
    ServiceError::Invalid(format!("--{field}: {error}"))
}

/// Creates an organisation and its first location (same time zone and currency).
#[tracing::instrument(name = "provisioning::create_organisation", skip_all)]
pub async fn create_organisation(
    store: &Store,
    input: &CreateOrganisation<'_>,
    now: DateTime<Utc>,
) -> Result<(Organisation, Location), ServiceError> {
    let industry = Industry::parse(input.industry).map_err(|e| invalid("industry", e))?;
    let currency = Currency::parse(input.currency).map_err(|e| invalid("currency", e))?;
    let time_zone = parse_time_zone(input.time_zone).map_err(|e| invalid("time-zone", e))?;
    let slug = input.slug.trim().to_lowercase();
    if slug.is_empty() || !slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(invalid("slug", "use letters, digits and dashes only"));
    }
    let organisation = store
        .create_organisation(
            &NewOrganisation {
                name: input.name,
                slug: &slug,
                industry,
                currency,
                time_zone,
            },
            now,
        )
        .await?;
    let location = store
        .create_location(
            organisation.id,
            input.first_location,
            time_zone,
            currency,
            now,
        )
        .await?;
    Ok((organisation, location))
}

pub struct CreateUser<'a> {
    pub organisation_slug: &'a str,
    pub location: Option<&'a str>,
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub roles: &'a [String],
    pub password: Secret,
    pub pin: Option<Secret>,
}

/// Creates a person with a hashed password (and PIN) at a location (the first one if none is
/// named) and grants their roles organisation-wide.
#[tracing::instrument(name = "provisioning::create_user", skip_all)]
pub async fn create_user(
    store: &Store,
    input: CreateUser<'_>,
    now: DateTime<Utc>,
) -> Result<Person, ServiceError> {
    let organisation = store
        .organisation_by_slug(&input.organisation_slug.trim().to_lowercase())
        .await?
        .ok_or_else(|| {
            invalid(
                "org",
                format!(
                    "no organisation with the short name {}",
                    input.organisation_slug
                ),
            )
        })?;
    let locations = store.locations(organisation.id).await?;
    let location = match input.location {
        Some(name) => locations
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                invalid(
                    "location",
                    format!("{name} is not a location of {}", organisation.name),
                )
            })?,
        None => locations.first().ok_or_else(|| {
            ServiceError::Invalid(format!("{} has no location yet", organisation.name))
        })?,
    };
    let roles = input
        .roles
        .iter()
        .map(|r| Role::parse(r).map_err(|e| invalid("role", e)))
        .collect::<Result<Vec<_>, _>>()?;
    if roles.is_empty() {
        return Err(invalid("role", "give at least one role"));
    }
    password::check_password_rules(&input.password)
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let password_hash = password::hash(input.password).await?;
    let pin_hash = match input.pin {
        Some(pin) => {
            password::check_pin_rules(&pin).map_err(|e| ServiceError::Invalid(e.to_string()))?;
            Some(password::hash(pin).await?)
        }
        None => None,
    };
    let person = store
        .create_person(
            &NewPerson {
                organisation_id: organisation.id,
                location_id: location.id,
                team_id: None,
                display_name: input.display_name,
                username: input.username,
                email: input.email,
                password_hash: Some(&password_hash),
                pin_hash: pin_hash.as_deref(),
            },
            now,
        )
        .await?;
    for role in roles {
        store
            .grant_role(organisation.id, person.id, role, None, now)
            .await?;
    }
    Ok(person)
}
