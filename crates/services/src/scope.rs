//! Reads most use cases start from: where the actor works, which locations a role reaches,
//! today's date there, and the organisation's lists as choices.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::{
    budget_day::local_date,
    money::Currency,
    org::{Role, TaxonomyKind},
};
use store::{
    organisations::{Location, TaxonomyRow},
    Store,
};
use views::Choice;

use crate::{Actor, ServiceError};

/// The actor's home location, its time zone and currency.
pub async fn home(store: &Store, actor: &Actor) -> Result<(Location, Tz, Currency), ServiceError> {
    let location = store
        .locations(actor.organisation_id)
        .await?
        .into_iter()
        .find(|l| l.id == actor.home_location_id)
        .ok_or_else(|| ServiceError::Internal("a person's home location is missing".into()))?;
    let (zone, currency) = (location.time_zone, location.currency);
    Ok((location, zone, currency))
}

/// Today at the actor's home location.
pub async fn today(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<NaiveDate, ServiceError> {
    let (_, zone, _) = home(store, actor).await?;
    Ok(local_date(now, zone))
}

/// The locations where the actor holds `role` (all of them for an organisation-wide grant),
/// with the scope as the store's scoped queries take it (`None`: every location). Refuses
/// an actor who holds `role` nowhere.
pub async fn locations_for(
    store: &Store,
    actor: &Actor,
    role: Role,
) -> Result<(Option<Vec<i64>>, Vec<Location>), ServiceError> {
    let scope = actor.scope(role)?;
    let locations = store
        .locations(actor.organisation_id)
        .await?
        .into_iter()
        .filter(|l| scope.as_ref().is_none_or(|ids| ids.contains(&l.id)))
        .collect();
    Ok((scope, locations))
}

/// The organisation's list of one kind, as choices.
pub fn labels(rows: &[TaxonomyRow], kind: TaxonomyKind) -> Vec<Choice> {
    rows.iter()
        .filter(|r| r.kind == kind.as_str())
        .map(|r| Choice {
            code: r.code.clone(),
            label: r.label.clone(),
        })
        .collect()
}

/// The label of a code, or the code itself if the list no longer has it.
pub fn label_of(choices: &[Choice], code: &str) -> String {
    choices
        .iter()
        .find(|c| c.code == code)
        .map_or_else(|| code.to_string(), |c| c.label.clone())
}
