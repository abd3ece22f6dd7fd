//! Who may act on whom: scope and separation of duties, as pure rules.
//!
//! Roles are granted organisation-wide or for one location (`RoleGrant`). A grant for a
//! location never acts organisation-wide, and nobody hands out more than they hold. The
//! separation-of-duties rules say that nobody decides on, reverses, checks, budgets or
//! boosts themselves, and that a budget is changed only by someone ranked above everyone it
//! applies to. The services layer asks these functions before it acts and the store asks
//! them again inside its write, so no path (server function, CLI, seed) routes around them.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{
    org::{Role, RoleGrant},
    policy::PolicyScope,
};

/// Why an action is refused. The messages are shown to the person as they are.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum AccessError {
    #[error("Someone else decides on your own request.")]
    OwnRequest,
    #[error("Someone else reverses your own recovery.")]
    OwnReversal,
    #[error("Someone else checks your own recoveries.")]
    OwnCheck,
    #[error("Someone else sets your budget: this change would apply to you.")]
    OwnBudget,
    #[error("Only someone with a higher role than everyone it applies to may change this budget.")]
    NotAbove,
    #[error("This needs an organisation-wide role.")]
    NeedsOrganisationWide,
    #[error("You can grant or take away roles only within your own role and locations.")]
    BeyondOwn,
    #[error("Someone else changes your roles.")]
    OwnRoles,
    #[error("You are not allowed to do that.")]
    Forbidden,
}

/// The grants of one person, with the questions every rule asks of them.
#[derive(Clone, Copy, Debug)]
pub struct Grants<'a>(pub &'a [RoleGrant]);

impl Grants<'_> {
    /// Holds `role` (or higher) at `location_id`, directly or organisation-wide.
    pub fn at(&self, role: Role, location_id: i64) -> bool {
        self.0.iter().any(|g| g.allows(role, location_id))
    }

    /// Holds `role` (or higher) organisation-wide.
    pub fn organisation_wide(&self, role: Role) -> bool {
        self.0
            .iter()
            .any(|g| g.role >= role && g.location_id.is_none())
    }

    /// Holds `role` (or higher) anywhere.
    pub fn anywhere(&self, role: Role) -> bool {
        self.0.iter().any(|g| g.role >= role)
    }

    /// Holds exactly `role` in some grant (what a role-scoped budget policy applies to).
    pub fn holds_exactly(&self, role: Role) -> bool {
        self.0.iter().any(|g| g.role == role)
    }

    /// The highest role that applies at `location_id`.
    pub fn highest_at(&self, location_id: i64) -> Option<Role> {
        self.0
            .iter()
            .filter(|g| g.location_id.is_none_or(|id| id == location_id))
            .map(|g| g.role)
            .max()
    }

    /// The highest role held anywhere.
    pub fn highest(&self) -> Option<Role> {
        self.0.iter().map(|g| g.role).max()
    }

    /// Where `role` (or higher) applies: `None` for every location, else the locations.
    pub fn scope_of(&self, role: Role) -> Option<Vec<i64>> {
        if self.organisation_wide(role) {
            None
        } else {
            let mut ids: Vec<i64> = self
                .0
                .iter()
                .filter(|g| g.role >= role)
                .filter_map(|g| g.location_id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            Some(ids)
        }
    }
}

/// A decision (approve, part-approve, deny) on a request: never by the person who asked.
pub fn may_decide(actor_id: i64, requester_id: i64) -> Result<(), AccessError> {
    if actor_id == requester_id {
        Err(AccessError::OwnRequest)
    } else {
        Ok(())
    }
}

/// A reversal: never of one's own recovery.
pub fn may_reverse(actor_id: i64, owner_id: i64) -> Result<(), AccessError> {
    if actor_id == owner_id {
        Err(AccessError::OwnReversal)
    } else {
        Ok(())
    }
}

/// A spot check: never of one's own recovery.
pub fn may_check(actor_id: i64, owner_id: i64) -> Result<(), AccessError> {
    if actor_id == owner_id {
        Err(AccessError::OwnCheck)
    } else {
        Ok(())
    }
}

/// The person changing a budget: who they are, their team, their grants.
#[derive(Clone, Copy, Debug)]
pub struct BudgetActor<'a> {
    pub person_id: i64,
    pub team_id: Option<i64>,
    pub grants: Grants<'a>,
}

/// What a budget change applies to, as far as the rule needs to know.
#[derive(Clone, Copy, Debug)]
pub struct BudgetTarget {
    pub scope: PolicyScope,
    /// The location of the person or team; `None` for organisation and role scopes.
    pub location_id: Option<i64>,
    /// The highest role held by anyone the change applies to (the person, or any member of
    /// the team); `None` when nobody it applies to holds a role.
    pub highest_role: Option<Role>,
}

/// May `actor` set a policy or add a boost for `target`?
///
/// * Organisation and role scopes are the organisation's standing rules: only an
///   organisation-wide admin sets them, and a role scope never for a role the admin holds.
/// * A person's or team's budget: never your own (your person or your team), and only with a
///   supervisor's role (or higher) at its location that ranks above the highest role of
///   everyone it applies to — a supervisor cannot budget another supervisor or a manager.
pub fn may_change_budget(actor: &BudgetActor, target: &BudgetTarget) -> Result<(), AccessError> {
    match target.scope {
        PolicyScope::Organisation => {
            if actor.grants.organisation_wide(Role::Admin) {
                Ok(())
            } else {
                Err(AccessError::NeedsOrganisationWide)
            }
        }
        PolicyScope::Role(role) => {
            if !actor.grants.organisation_wide(Role::Admin) {
                Err(AccessError::NeedsOrganisationWide)
            } else if actor.grants.holds_exactly(role) {
                Err(AccessError::OwnBudget)
            } else {
                Ok(())
            }
        }
        PolicyScope::Person(id) if id == actor.person_id => Err(AccessError::OwnBudget),
        PolicyScope::Team(id) if actor.team_id == Some(id) => Err(AccessError::OwnBudget),
        PolicyScope::Person(_) | PolicyScope::Team(_) => {
            let Some(location_id) = target.location_id else {
                return Err(AccessError::Forbidden);
            };
            let Some(rank) = actor.grants.highest_at(location_id) else {
                return Err(AccessError::Forbidden);
            };
            if rank < Role::Supervisor {
                return Err(AccessError::Forbidden);
            }
            match target.highest_role {
                Some(theirs) if theirs >= rank => Err(AccessError::NotAbove),
                _ => Ok(()),
            }
        }
    }
}

/// May `actor` grant (or take away) `role` at `location_id` (`None`: organisation-wide)?
/// Only an admin, and only within their own scope: a location's admin grants at that
/// location; an organisation-wide grant needs an organisation-wide admin.
pub fn may_change_role(
    actor: Grants,
    role: Role,
    location_id: Option<i64>,
) -> Result<(), AccessError> {
    let _ = role; // every role is at most admin, so the rank never exceeds the granter's
    match location_id {
        None if actor.organisation_wide(Role::Admin) => Ok(()),
        None if actor.anywhere(Role::Admin) => Err(AccessError::NeedsOrganisationWide),
        Some(id) if actor.at(Role::Admin, id) => Ok(()),
        Some(_) if actor.anywhere(Role::Admin) => Err(AccessError::BeyondOwn),
        _ => Err(AccessError::Forbidden),
    }
}

/// May `actor` administer a person (reset their PIN, deactivate them, end their sessions,
/// change their roles) whose home is `location_id` and who holds `their_grants`? An
/// organisation-wide admin may administer anyone; a location's admin only someone whose home
/// and every grant lie within the locations they administer — never someone with an
/// organisation-wide grant or a grant at another location, whose sessions and PIN carry
/// authority beyond theirs.
pub fn may_administer(
    actor: Grants,
    location_id: i64,
    their_grants: Grants,
) -> Result<(), AccessError> {
    if !actor.at(Role::Admin, location_id) {
        return Err(AccessError::Forbidden);
    }
    if actor.organisation_wide(Role::Admin) {
        return Ok(());
    }
    let within = their_grants
        .0
        .iter()
        .all(|g| g.location_id.is_some_and(|id| actor.at(Role::Admin, id)));
    if within {
        Ok(())
    } else {
        Err(AccessError::BeyondOwn)
    }
}

/// Roles are changed by someone else: nobody grants themselves a role or takes one away
/// (which could bring a role policy to bear on them, or shed a role to act around a rule).
pub fn may_change_roles_of(actor_id: i64, person_id: i64) -> Result<(), AccessError> {
    if actor_id == person_id {
        Err(AccessError::OwnRoles)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, location_id: Option<i64>) -> RoleGrant {
        RoleGrant { role, location_id }
    }

    fn actor(grants: &[RoleGrant]) -> BudgetActor<'_> {
        BudgetActor {
            person_id: 1,
            team_id: Some(10),
            grants: Grants(grants),
        }
    }

    #[test]
    fn nobody_decides_reverses_or_checks_their_own() {
        assert_eq!(may_decide(1, 1), Err(AccessError::OwnRequest));
        assert_eq!(may_reverse(1, 1), Err(AccessError::OwnReversal));
        assert_eq!(may_check(1, 1), Err(AccessError::OwnCheck));
        assert!(may_decide(1, 2).is_ok() && may_reverse(1, 2).is_ok() && may_check(1, 2).is_ok());
    }

    #[test]
    fn nobody_budgets_themselves_or_their_team() {
        let grants = [grant(Role::Admin, None)];
        let me = actor(&grants);
        let own = BudgetTarget {
            scope: PolicyScope::Person(1),
            location_id: Some(5),
            highest_role: Some(Role::Admin),
        };
        assert_eq!(may_change_budget(&me, &own), Err(AccessError::OwnBudget));
        let team = BudgetTarget {
            scope: PolicyScope::Team(10),
            location_id: Some(5),
            highest_role: Some(Role::Staff),
        };
        assert_eq!(may_change_budget(&me, &team), Err(AccessError::OwnBudget));
        let role = BudgetTarget {
            scope: PolicyScope::Role(Role::Admin),
            location_id: None,
            highest_role: None,
        };
        assert_eq!(may_change_budget(&me, &role), Err(AccessError::OwnBudget));
        let staff_role = BudgetTarget {
            scope: PolicyScope::Role(Role::Staff),
            ..role
        };
        assert!(may_change_budget(&me, &staff_role).is_ok());
    }

    #[test]
    fn a_supervisor_budgets_only_people_ranked_below_them_where_they_supervise() {
        let grants = [grant(Role::Supervisor, Some(5))];
        let me = actor(&grants);
        let target = |highest_role, location_id| BudgetTarget {
            scope: PolicyScope::Person(2),
            location_id: Some(location_id),
            highest_role,
        };
        assert!(may_change_budget(&me, &target(Some(Role::Staff), 5)).is_ok());
        assert!(may_change_budget(&me, &target(None, 5)).is_ok());
        assert_eq!(
            may_change_budget(&me, &target(Some(Role::Supervisor), 5)),
            Err(AccessError::NotAbove)
        );
        assert_eq!(
            may_change_budget(&me, &target(Some(Role::Manager), 5)),
            Err(AccessError::NotAbove)
        );
        assert_eq!(
            may_change_budget(&me, &target(Some(Role::Staff), 6)),
            Err(AccessError::Forbidden)
        );
        let org = BudgetTarget {
            scope: PolicyScope::Organisation,
            location_id: None,
            highest_role: None,
        };
        assert_eq!(
            may_change_budget(&me, &org),
            Err(AccessError::NeedsOrganisationWide)
        );
    }

    #[test]
    fn a_location_admin_grants_only_at_their_location() {
        let grants = [grant(Role::Admin, Some(5))];
        let mine = Grants(&grants);
        assert!(may_change_role(mine, Role::Admin, Some(5)).is_ok());
        assert_eq!(
            may_change_role(mine, Role::Admin, None),
            Err(AccessError::NeedsOrganisationWide)
        );
        assert_eq!(
            may_change_role(mine, Role::Staff, Some(6)),
            Err(AccessError::BeyondOwn)
        );
        let manager = [grant(Role::Manager, None)];
        assert_eq!(
            may_change_role(Grants(&manager), Role::Staff, Some(5)),
            Err(AccessError::Forbidden)
        );
        let wide = [grant(Role::Admin, None)];
        assert!(may_change_role(Grants(&wide), Role::Admin, None).is_ok());
    }

    #[test]
    fn a_location_admin_administers_only_their_location_and_not_organisation_wide_roles() {
        let grants = [grant(Role::Admin, Some(5))];
        let mine = Grants(&grants);
        let staff = [grant(Role::Staff, Some(5))];
        let leader = [grant(Role::Leader, None)];
        assert!(may_administer(mine, 5, Grants(&staff)).is_ok());
        assert_eq!(
            may_administer(mine, 6, Grants(&staff)),
            Err(AccessError::Forbidden)
        );
        assert_eq!(
            may_administer(mine, 5, Grants(&leader)),
            Err(AccessError::BeyondOwn)
        );
        let also_elsewhere = [grant(Role::Staff, Some(5)), grant(Role::Admin, Some(6))];
        assert_eq!(
            may_administer(mine, 5, Grants(&also_elsewhere)),
            Err(AccessError::BeyondOwn)
        );
        let wide_staff = [grant(Role::Staff, None)];
        assert_eq!(
            may_administer(mine, 5, Grants(&wide_staff)),
            Err(AccessError::BeyondOwn)
        );
        assert_eq!(may_change_roles_of(1, 1), Err(AccessError::OwnRoles));
        assert!(may_change_roles_of(1, 2).is_ok());
    }

    #[test]
    fn scope_of_never_widens_a_location_grant() {
        let grants = [grant(Role::Admin, Some(5)), grant(Role::Manager, Some(7))];
        let g = Grants(&grants);
        assert_eq!(g.scope_of(Role::Admin), Some(vec![5]));
        assert_eq!(g.scope_of(Role::Manager), Some(vec![5, 7]));
        assert!(!g.organisation_wide(Role::Staff));
    }
}
