//! Budget policy: how much a person may spend on recoveries in a day without
//! asking, and the most one recovery may draw from that budget.
//!
//! Resolution is pure: the caller loads every policy and boost of the
//! organisation (or just those that could apply) and asks for one holder's
//! allowance on one local date.
//!
//! Precedence, least to most specific: organisation default < team or role
//! policy < personal override. The daily allowance and the per-recovery cap are
//! resolved independently, each from the most specific level that sets it. At the
//! middle level a person may match a team policy and several role policies at
//! once; the most generous one wins, because a role must never shrink what the
//! person's team was given (nor a team what the role was given). Several
//! policies for the same level also resolve to the most generous, so the order
//! they are loaded in never matters.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::org::Role;

/// Whom a policy or a boost applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyScope {
    Organisation,
    Role(Role),
    Team(i64),
    Person(i64),
}

impl PolicyScope {
    /// 0 = organisation, 1 = team or role, 2 = person.
    pub fn level(&self) -> u8 {
        match self {
            PolicyScope::Organisation => 0,
            PolicyScope::Role(_) | PolicyScope::Team(_) => 1,
            PolicyScope::Person(_) => 2,
        }
    }

    /// True when this scope covers the holder.
    pub fn applies_to(&self, holder: &Holder) -> bool {
        match self {
            PolicyScope::Organisation => true,
            PolicyScope::Role(role) => holder.roles.contains(role),
            PolicyScope::Team(team) => holder.team_id == Some(*team),
            PolicyScope::Person(person) => holder.person_id == *person,
        }
    }
}

/// Why a policy or a boost could not be saved.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PolicyError {
    #[error("The daily allowance can't be negative")]
    NegativeAllowance,
    #[error("A per-recovery cap must be more than 0 (leave it empty for no cap)")]
    CapNotPositive,
    #[error("The boost must end on or after the day it starts")]
    BoostEndsBeforeItStarts,
    #[error("A boost must add more than 0 per day")]
    BoostNotPositive,
    #[error("A boost applies to a person, a team or the whole organisation, not to a role")]
    BoostForRole,
}

/// A standing daily allowance (and optional per-recovery cap) for a scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetPolicy {
    pub scope: PolicyScope,
    /// Minor units per local day.
    pub daily_allowance: i64,
    /// Minor units one recovery may draw from the budget; None = no cap.
    pub per_recovery_cap: Option<i64>,
    /// Who set it (`None`: the system). Never counts for that person: see
    /// [`resolve_allowance`].
    #[serde(default)]
    pub set_by: Option<i64>,
}

impl BudgetPolicy {
    pub fn new(
        scope: PolicyScope,
        daily_allowance: i64,
        per_recovery_cap: Option<i64>,
    ) -> Result<BudgetPolicy, PolicyError> {
        if daily_allowance < 0 {
            return Err(PolicyError::NegativeAllowance);
        }
        if per_recovery_cap.is_some_and(|cap| cap <= 0) {
            return Err(PolicyError::CapNotPositive);
        }
        Ok(BudgetPolicy {
            scope,
            daily_allowance,
            per_recovery_cap,
            set_by: None,
        })
    }
}

/// A temporary extra allowance per day over a date range (e.g. during a
/// renovation), added on top of whatever the policies resolve to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Boost {
    /// Person, Team or Organisation (see [`Boost::new`]).
    pub scope: PolicyScope,
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub extra_per_day: i64,
    /// Who added it (`None`: the system). Never counts for that person: see
    /// [`resolve_allowance`].
    #[serde(default)]
    pub set_by: Option<i64>,
}

impl Boost {
    /// Refuses role-scoped boosts: a boost answers a local situation (a team in a
    /// renovated wing, one person covering a VIP), which roles don't describe.
    pub fn new(
        scope: PolicyScope,
        from: NaiveDate,
        to: NaiveDate,
        extra_per_day: i64,
    ) -> Result<Boost, PolicyError> {
        if matches!(scope, PolicyScope::Role(_)) {
            return Err(PolicyError::BoostForRole);
        }
        if to < from {
            return Err(PolicyError::BoostEndsBeforeItStarts);
        }
        if extra_per_day <= 0 {
            return Err(PolicyError::BoostNotPositive);
        }
        Ok(Boost {
            scope,
            from,
            to,
            extra_per_day,
            set_by: None,
        })
    }

    /// True when the boost covers `date` (both ends inclusive).
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }
}

/// The person whose allowance is being resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub person_id: i64,
    pub team_id: Option<i64>,
    pub roles: Vec<Role>,
}

/// What a holder may spend on one day without asking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowance {
    /// Minor units for the day, boosts included.
    pub daily: i64,
    /// Most one recovery may draw from the budget; None = no cap.
    pub per_recovery_cap: Option<i64>,
}

/// Resolves the holder's allowance for `date`; see the module docs for precedence.
///
/// No applicable policy gives a daily allowance of 0 and no cap: everything then
/// goes to a supervisor, which is safe. Boosts that apply to the holder's person,
/// team or the whole organisation and cover `date` are summed and added. Values a
/// validated constructor would refuse (negative amounts, caps below 1) are treated
/// as 0 rather than trusted, and sums saturate instead of overflowing.
/// A role-scoped boost (which [`Boost::new`] refuses) applies to holders of the role.
pub fn resolve_allowance(
    holder: &Holder,
    policies: &[BudgetPolicy],
    boosts: &[Boost],
    date: NaiveDate,
) -> Allowance {
    // Nobody's budget comes from a change they made themselves: a policy or boost set by the
    // holder (an organisation-wide default, a role they later took) does not count for them.
    let own = |set_by: Option<i64>| set_by == Some(holder.person_id);
    let applicable: Vec<&BudgetPolicy> = policies
        .iter()
        .filter(|p| p.scope.applies_to(holder) && !own(p.set_by))
        .collect();
    let at_level = |level: u8| applicable.iter().filter(move |p| p.scope.level() == level);

    let base = (0..=2)
        .rev()
        .find_map(|level| at_level(level).map(|p| p.daily_allowance.max(0)).max())
        .unwrap_or(0);
    let per_recovery_cap = (0..=2)
        .rev()
        .find_map(|level| at_level(level).filter_map(|p| p.per_recovery_cap).max())
        .map(|cap| cap.max(0));

    let extra = boosts
        .iter()
        .filter(|b| b.covers(date) && b.scope.applies_to(holder) && !own(b.set_by))
        .fold(0_i64, |sum, b| sum.saturating_add(b.extra_per_day.max(0)));

    Allowance {
        daily: base.saturating_add(extra),
        per_recovery_cap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: i64 = 1;
    const BOB: i64 = 2;
    const FRONT_DESK: i64 = 10;
    const HOUSEKEEPING: i64 = 11;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 4, d).expect("valid test date")
    }

    fn alice() -> Holder {
        Holder {
            person_id: ALICE,
            team_id: Some(FRONT_DESK),
            roles: vec![Role::Staff],
        }
    }

    fn policy(scope: PolicyScope, daily: i64, cap: Option<i64>) -> BudgetPolicy {
        BudgetPolicy {
            scope,
            daily_allowance: daily,
            per_recovery_cap: cap,
            set_by: None,
        }
    }

    fn boost(scope: PolicyScope, from: u32, to: u32, extra: i64) -> Boost {
        Boost {
            scope,
            from: day(from),
            to: day(to),
            extra_per_day: extra,
            set_by: None,
        }
    }

    #[test]
    fn a_policy_or_boost_never_counts_for_the_person_who_set_it() {
        let by_alice = BudgetPolicy {
            set_by: Some(ALICE),
            ..policy(PolicyScope::Organisation, 9_000, None)
        };
        let default = policy(PolicyScope::Organisation, 5_000, None);
        assert_eq!(daily(&alice(), &[by_alice, default]), 5_000);
        let bob = Holder {
            person_id: BOB,
            ..alice()
        };
        assert_eq!(daily(&bob, &[by_alice, default]), 9_000);
        let boost_by_alice = Boost {
            set_by: Some(ALICE),
            ..boost(PolicyScope::Organisation, 1, 30, 1_000)
        };
        let allowance = resolve_allowance(&alice(), &[default], &[boost_by_alice], day(2));
        assert_eq!(allowance.daily, 5_000);
        let allowance = resolve_allowance(&bob, &[default], &[boost_by_alice], day(2));
        assert_eq!(allowance.daily, 6_000);
    }

    fn daily(holder: &Holder, policies: &[BudgetPolicy]) -> i64 {
        resolve_allowance(holder, policies, &[], day(1)).daily
    }

    #[test]
    fn without_any_policy_there_is_no_allowance_and_no_cap() {
        assert_eq!(
            resolve_allowance(&alice(), &[], &[], day(1)),
            Allowance {
                daily: 0,
                per_recovery_cap: None
            }
        );
    }

    #[test]
    fn the_organisation_default_applies_to_everyone() {
        let policies = [policy(PolicyScope::Organisation, 5_000, Some(2_000))];
        assert_eq!(
            resolve_allowance(&alice(), &policies, &[], day(1)),
            Allowance {
                daily: 5_000,
                per_recovery_cap: Some(2_000)
            }
        );
    }

    #[test]
    fn a_team_policy_beats_the_organisation_default_even_when_lower() {
        let policies = [
            policy(PolicyScope::Organisation, 5_000, None),
            policy(PolicyScope::Team(FRONT_DESK), 3_000, None),
        ];
        assert_eq!(daily(&alice(), &policies), 3_000);
    }

    #[test]
    fn another_teams_policy_does_not_apply() {
        let policies = [
            policy(PolicyScope::Organisation, 5_000, None),
            policy(PolicyScope::Team(HOUSEKEEPING), 9_000, None),
        ];
        assert_eq!(daily(&alice(), &policies), 5_000);
    }

    #[test]
    fn a_role_policy_beats_the_organisation_default() {
        let policies = [
            policy(PolicyScope::Organisation, 5_000, None),
            policy(PolicyScope::Role(Role::Staff), 4_000, None),
            policy(PolicyScope::Role(Role::Supervisor), 20_000, None),
        ];
        assert_eq!(daily(&alice(), &policies), 4_000);
    }

    #[test]
    fn when_team_and_role_policies_both_apply_the_most_generous_wins() {
        let team_lower = [
            policy(PolicyScope::Team(FRONT_DESK), 3_000, None),
            policy(PolicyScope::Role(Role::Staff), 4_000, None),
        ];
        assert_eq!(daily(&alice(), &team_lower), 4_000);
        let role_lower = [
            policy(PolicyScope::Role(Role::Staff), 1_000, None),
            policy(PolicyScope::Team(FRONT_DESK), 3_000, None),
        ];
        assert_eq!(daily(&alice(), &role_lower), 3_000);
    }

    #[test]
    fn a_person_with_several_roles_gets_the_most_generous_role_policy() {
        let mut holder = alice();
        holder.roles = vec![Role::Staff, Role::Supervisor];
        let policies = [
            policy(PolicyScope::Role(Role::Supervisor), 20_000, None),
            policy(PolicyScope::Role(Role::Staff), 4_000, None),
        ];
        assert_eq!(daily(&holder, &policies), 20_000);
    }

    #[test]
    fn a_personal_override_beats_everything_even_when_lower() {
        let policies = [
            policy(PolicyScope::Organisation, 5_000, None),
            policy(PolicyScope::Team(FRONT_DESK), 8_000, None),
            policy(PolicyScope::Person(ALICE), 1_000, None),
            policy(PolicyScope::Person(BOB), 50_000, None),
        ];
        assert_eq!(daily(&alice(), &policies), 1_000);
    }

    #[test]
    fn a_personal_override_of_zero_takes_the_budget_away() {
        let policies = [
            policy(PolicyScope::Organisation, 5_000, None),
            policy(PolicyScope::Person(ALICE), 0, None),
        ];
        assert_eq!(daily(&alice(), &policies), 0);
    }

    #[test]
    fn duplicate_policies_at_one_level_resolve_to_the_most_generous_in_any_order() {
        let a = policy(PolicyScope::Organisation, 5_000, Some(100));
        let b = policy(PolicyScope::Organisation, 7_000, Some(300));
        let forward = resolve_allowance(&alice(), &[a, b], &[], day(1));
        let backward = resolve_allowance(&alice(), &[b, a], &[], day(1));
        assert_eq!(forward, backward);
        assert_eq!(forward.daily, 7_000);
        assert_eq!(forward.per_recovery_cap, Some(300));
    }

    #[test]
    fn the_cap_comes_from_the_most_specific_level_that_sets_one() {
        let policies = [
            policy(PolicyScope::Organisation, 5_000, Some(2_000)),
            policy(PolicyScope::Team(FRONT_DESK), 8_000, Some(3_000)),
            // The personal override sets the allowance but not a cap,
            // so the team's cap still applies.
            policy(PolicyScope::Person(ALICE), 9_000, None),
        ];
        assert_eq!(
            resolve_allowance(&alice(), &policies, &[], day(1)),
            Allowance {
                daily: 9_000,
                per_recovery_cap: Some(3_000)
            }
        );
    }

    #[test]
    fn at_the_middle_level_the_largest_cap_wins() {
        let policies = [
            policy(PolicyScope::Organisation, 5_000, Some(500)),
            policy(PolicyScope::Team(FRONT_DESK), 8_000, Some(1_000)),
            policy(PolicyScope::Role(Role::Staff), 2_000, Some(2_500)),
        ];
        assert_eq!(
            resolve_allowance(&alice(), &policies, &[], day(1)),
            Allowance {
                daily: 8_000,
                per_recovery_cap: Some(2_500)
            }
        );
    }

    #[test]
    fn a_personal_cap_can_be_lower_than_the_organisations() {
        let policies = [
            policy(PolicyScope::Organisation, 5_000, Some(2_000)),
            policy(PolicyScope::Person(ALICE), 5_000, Some(500)),
        ];
        assert_eq!(
            resolve_allowance(&alice(), &policies, &[], day(1)).per_recovery_cap,
            Some(500)
        );
    }

    #[test]
    fn a_boost_adds_to_the_allowance_only_on_the_days_it_covers() {
        let policies = [policy(PolicyScope::Organisation, 5_000, None)];
        let boosts = [boost(PolicyScope::Team(FRONT_DESK), 10, 12, 2_500)];
        let on = |d| resolve_allowance(&alice(), &policies, &boosts, day(d)).daily;
        assert_eq!(on(9), 5_000);
        assert_eq!(on(10), 7_500);
        assert_eq!(on(12), 7_500);
        assert_eq!(on(13), 5_000);
    }

    #[test]
    fn boosts_for_the_person_team_and_organisation_all_add_up() {
        let policies = [policy(PolicyScope::Person(ALICE), 1_000, Some(400))];
        let boosts = [
            boost(PolicyScope::Person(ALICE), 1, 30, 100),
            boost(PolicyScope::Team(FRONT_DESK), 1, 30, 200),
            boost(PolicyScope::Organisation, 1, 30, 300),
            boost(PolicyScope::Person(BOB), 1, 30, 10_000),
            boost(PolicyScope::Team(HOUSEKEEPING), 1, 30, 10_000),
        ];
        let allowance = resolve_allowance(&alice(), &policies, &boosts, day(5));
        assert_eq!(allowance.daily, 1_600);
        // A boost raises the day's budget, never the cap on one recovery.
        assert_eq!(allowance.per_recovery_cap, Some(400));
    }

    #[test]
    fn a_boost_applies_even_without_a_policy() {
        let boosts = [boost(PolicyScope::Organisation, 1, 1, 700)];
        assert_eq!(resolve_allowance(&alice(), &[], &boosts, day(1)).daily, 700);
    }

    #[test]
    fn huge_values_saturate_instead_of_overflowing() {
        let policies = [policy(PolicyScope::Organisation, i64::MAX, None)];
        let boosts = [
            boost(PolicyScope::Organisation, 1, 30, i64::MAX),
            boost(PolicyScope::Organisation, 1, 30, i64::MAX),
        ];
        assert_eq!(
            resolve_allowance(&alice(), &policies, &boosts, day(1)).daily,
            i64::MAX
        );
    }

    #[test]
    fn invalid_stored_values_are_treated_as_zero_not_trusted() {
        let policies = [policy(PolicyScope::Organisation, -5_000, Some(-1))];
        let boosts = [boost(PolicyScope::Organisation, 1, 30, -700)];
        assert_eq!(
            resolve_allowance(&alice(), &policies, &boosts, day(1)),
            Allowance {
                daily: 0,
                per_recovery_cap: Some(0)
            }
        );
    }

    #[test]
    fn a_policy_refuses_negative_allowances_and_caps_below_one() {
        assert_eq!(
            BudgetPolicy::new(PolicyScope::Organisation, -1, None),
            Err(PolicyError::NegativeAllowance)
        );
        assert_eq!(
            BudgetPolicy::new(PolicyScope::Organisation, 100, Some(0)),
            Err(PolicyError::CapNotPositive)
        );
        assert_eq!(
            BudgetPolicy::new(PolicyScope::Team(3), 0, Some(1)),
            Ok(policy(PolicyScope::Team(3), 0, Some(1)))
        );
    }

    #[test]
    fn a_boost_needs_ordered_dates_a_positive_amount_and_no_role_scope() {
        let org = PolicyScope::Organisation;
        assert_eq!(
            Boost::new(org, day(5), day(4), 100),
            Err(PolicyError::BoostEndsBeforeItStarts)
        );
        assert_eq!(
            Boost::new(org, day(5), day(5), 0),
            Err(PolicyError::BoostNotPositive)
        );
        assert_eq!(
            Boost::new(PolicyScope::Role(Role::Staff), day(5), day(5), 100),
            Err(PolicyError::BoostForRole)
        );
        assert_eq!(
            Boost::new(org, day(5), day(5), 100),
            Ok(boost(org, 5, 5, 100))
        );
    }

    #[test]
    fn scopes_have_three_levels_of_precedence() {
        assert_eq!(PolicyScope::Organisation.level(), 0);
        assert_eq!(PolicyScope::Team(1).level(), 1);
        assert_eq!(PolicyScope::Role(Role::Staff).level(), 1);
        assert_eq!(PolicyScope::Person(1).level(), 2);
    }
}
