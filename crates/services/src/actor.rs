//! The person a use case runs for, with their role grants. Server functions build one from
//! the session; the simulator and the command line build one directly.

use domain::{
    access::Grants,
    org::{Role, RoleGrant},
};
use store::{Store, StoreError};

use crate::ServiceError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub organisation_id: i64,
    pub person_id: i64,
    /// The person's home location: where "today" is reckoned for them.
    pub home_location_id: i64,
    pub grants: Vec<RoleGrant>,
}

impl Actor {
    /// Loads an active person's grants; a deactivated or unknown person is `None`.
    pub async fn load(
        store: &Store,
        organisation_id: i64,
        person_id: i64,
    ) -> Result<Option<Actor>, StoreError> {
        match store.person(organisation_id, person_id).await {
            Ok(person) if person.active => Ok(Some(Actor {
                organisation_id,
                person_id,
                home_location_id: person.location_id,
                grants: store.grants_of(organisation_id, person_id).await?,
            })),
            Ok(_) | Err(StoreError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    pub fn access(&self) -> Grants<'_> {
        Grants(&self.grants)
    }

    /// Holds `role` (or higher) somewhere: the gate before any scope is looked at.
    pub fn require(&self, role: Role) -> Result<(), ServiceError> {
        if self.access().anywhere(role) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    /// Holds `role` (or higher) organisation-wide.
    pub fn require_org_wide(&self, role: Role) -> Result<(), ServiceError> {
        if self.access().organisation_wide(role) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    /// Where `role` applies (`None`: every location), after checking it applies somewhere.
    pub fn scope(&self, role: Role) -> Result<Option<Vec<i64>>, ServiceError> {
        self.require(role)?;
        Ok(self.access().scope_of(role))
    }
}
