//! The ledger's authorisation rule, as a pure state machine over one budget day
//! (one employee, one local date).
//!
//! Modelled on two-phase transfers: a recovery's amount is split into a
//! **covered** part, posted at once because it fits what remains of the budget
//! (and the per-recovery cap), and an **excess**, which reserves nothing and
//! waits for a supervisor. A waiting excess resolves exactly once: approved in
//! full, approved in part, or denied with a reason. Nothing is ever rewritten:
//! a mistake is undone by a reversal that gives the covered part back to the
//! budget day it was drawn from and withdraws any approved excess.
//!
//! The store keeps one [`BudgetDay`] row per employee-day and runs these
//! functions inside the transaction that locks it, so the invariant
//! "posted spend ≤ allowance + approved excess" holds under any concurrency.
//! The usual sequence is [`record`] (= [`refresh_allowance`] → [`split`] →
//! [`post`]), later [`check_resolvable`] → [`resolve`] → [`apply_resolution`],
//! or [`check_reversible`] → [`reversal_reason`] → [`reverse`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::money::{format_with_code, Currency};
use super::policy::Allowance;
use super::text::{char_count, clean_block, slug_enum};

/// Longest reason for a denial or a reversal: enough for a sentence or two,
/// short enough to read in a queue.
pub const MAX_REASON_CHARS: usize = 500;

/// Why a ledger action was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LedgerError {
    #[error("Amount can't be negative")]
    NegativeAmount,
    /// `max` is in minor units; [`LedgerError::message`] formats it with the currency.
    #[error("You can approve at most the amount waiting for approval")]
    ApproveTooMuch { max: i64 },
    #[error("Approve more than 0, or deny the request with a reason")]
    ApproveNothing,
    #[error("Give a reason")]
    ReasonRequired,
    #[error("Keep the reason to {max} characters")]
    ReasonTooLong { max: usize },
    #[error("This request has already been decided")]
    AlreadyResolved,
    #[error("Nothing on this recovery is waiting for approval")]
    NotPending,
    #[error("This recovery has already been reversed")]
    AlreadyReversed,
    #[error("Approve or deny the waiting request before reversing this recovery")]
    StillPending,
    #[error("Unknown decision \"{0}\": expected approved, partly-approved or denied")]
    UnknownDecision(String),
    #[error("Unknown status \"{0}\"")]
    UnknownStatus(String),
}

impl LedgerError {
    /// The message for a person, with amounts written in `currency`
    /// ("You can approve at most 25.00 EUR"); Display can't know the currency.
    pub fn message(&self, currency: Currency) -> String {
        match self {
            LedgerError::ApproveTooMuch { max } => {
                format!(
                    "You can approve at most {}",
                    format_with_code(*max, currency)
                )
            }
            other => other.to_string(),
        }
    }
}

/// One employee's budget on one local date. All amounts in minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetDay {
    /// The daily allowance as last refreshed from policy (never below `spent`).
    pub allowance: i64,
    /// Budget drawn by posted covered parts, net of reversals.
    pub spent: i64,
    /// Excess a supervisor approved, net of reversals; posted but not budget.
    pub approved_excess: i64,
    /// Excess waiting for a supervisor; reserves nothing.
    pub pending_excess: i64,
}

impl BudgetDay {
    /// What the employee may still spend today without asking.
    pub fn remaining(&self) -> i64 {
        self.allowance.saturating_sub(self.spent).max(0)
    }

    /// Everything posted today: covered parts plus approved excess.
    pub fn posted_total(&self) -> i64 {
        self.spent.saturating_add(self.approved_excess)
    }
}

/// How a recovery's amount divides: `covered` is posted at once, `excess`
/// waits for a supervisor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    pub covered: i64,
    pub excess: i64,
}

impl Split {
    /// True when part of the amount needs a supervisor.
    pub fn needs_approval(&self) -> bool {
        self.excess > 0
    }
}

/// Splits `amount` against what remains of `day` and the per-recovery cap.
///
/// covered = min(amount, remaining, cap); excess = the rest. A recovery over
/// budget is therefore partly covered: it uses up what remains rather than
/// sending the whole amount for approval. Amount 0 (a fix without cost) splits
/// into 0 and 0 and is posted. Call [`refresh_allowance`] first so `day` reflects
/// today's policy, or use [`record`], which does all three steps.
pub fn split(day: &BudgetDay, allowance: &Allowance, amount: i64) -> Result<Split, LedgerError> {
    if amount < 0 {
        return Err(LedgerError::NegativeAmount);
    }
    let cap = allowance
        .per_recovery_cap
        .map_or(i64::MAX, |cap| cap.max(0));
    let covered = amount.min(day.remaining()).min(cap);
    Ok(Split {
        covered,
        excess: amount - covered,
    })
}

/// Is the budget day `date` still open on `today` (the location's local date now)? A
/// budget day ends at local midnight; nothing rolls over and nothing reopens.
pub fn day_open(date: NaiveDate, today: NaiveDate) -> bool {
    date >= today
}

/// [`split`] for a day that may have closed. On a closed day — a back-dated form, or an
/// entry captured offline before midnight that arrives after it — the recovery is recorded
/// on the day it happened, but none of it draws on that day's budget: the whole amount
/// waits for a supervisor. So no path posts more than one day's allowance without approval.
pub fn split_on(
    day: &BudgetDay,
    allowance: &Allowance,
    amount: i64,
    open: bool,
) -> Result<Split, LedgerError> {
    if open {
        split(day, allowance, amount)
    } else if amount < 0 {
        Err(LedgerError::NegativeAmount)
    } else {
        Ok(Split {
            covered: 0,
            excess: amount,
        })
    }
}

/// Brings the day's allowance up to date with policy. Never below what is
/// already spent: a supervisor lowering a budget mid-day shrinks what remains
/// but never makes spend that was legal when posted illegal afterwards.
pub fn refresh_allowance(day: BudgetDay, resolved_daily: i64) -> BudgetDay {
    BudgetDay {
        allowance: resolved_daily.max(0).max(day.spent),
        ..day
    }
}

/// Posts a split made by [`split`] on this same day: the covered part draws on
/// the budget, the excess starts waiting.
pub fn post(day: BudgetDay, split: Split) -> BudgetDay {
    BudgetDay {
        spent: day.spent.saturating_add(split.covered),
        pending_excess: day.pending_excess.saturating_add(split.excess),
        ..day
    }
}

/// Records a recovery of `amount`: refreshes the allowance from policy, splits
/// and posts. Returns the new day and the split to store on the recovery.
pub fn record(
    day: BudgetDay,
    allowance: &Allowance,
    amount: i64,
) -> Result<(BudgetDay, Split), LedgerError> {
    let day = refresh_allowance(day, allowance.daily);
    let split = split(&day, allowance, amount)?;
    Ok((post(day, split), split))
}

/// A supervisor's decision on a waiting excess.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Resolution {
    ApproveAll,
    /// Approve `amount` (minor units) of the excess.
    ApprovePart {
        amount: i64,
    },
    Deny {
        reason: String,
    },
}

slug_enum! {
    /// How a waiting excess was decided.
    pub enum ResolutionKind {
        Approved = "approved", "Approved";
        PartlyApproved = "partly-approved", "Partly approved";
        Denied = "denied", "Denied";
    }
    unknown(text) -> LedgerError { LedgerError::UnknownDecision(text) }
}

/// A validated decision, ready to store and apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved {
    /// Minor units of the excess that become posted spend.
    pub approved: i64,
    pub kind: ResolutionKind,
    /// Cleaned reason: present for a denial, None for an approval.
    pub reason: Option<String>,
}

/// Validates a supervisor's decision on an `excess` that is still waiting.
///
/// Approving part must be more than 0 and at most the excess; approving exactly
/// the excess counts as approving all. A denial needs a reason, cleaned of control
/// characters, trimmed and at most [`MAX_REASON_CHARS`]. Approvals carry no reason.
pub fn resolve(excess: i64, resolution: Resolution) -> Result<Resolved, LedgerError> {
    if excess <= 0 {
        return Err(LedgerError::NotPending);
    }
    match resolution {
        Resolution::ApproveAll => Ok(Resolved {
            approved: excess,
            kind: ResolutionKind::Approved,
            reason: None,
        }),
        Resolution::ApprovePart { amount } => {
            if amount < 0 {
                return Err(LedgerError::NegativeAmount);
            }
            if amount == 0 {
                return Err(LedgerError::ApproveNothing);
            }
            if amount > excess {
                return Err(LedgerError::ApproveTooMuch { max: excess });
            }
            let kind = if amount == excess {
                ResolutionKind::Approved
            } else {
                ResolutionKind::PartlyApproved
            };
            Ok(Resolved {
                approved: amount,
                kind,
                reason: None,
            })
        }
        Resolution::Deny { reason } => Ok(Resolved {
            approved: 0,
            kind: ResolutionKind::Denied,
            reason: Some(required_reason(&reason)?),
        }),
    }
}

/// Applies a decision to the day: the excess stops waiting and the approved
/// part becomes posted spend (outside the budget: that is what approval means).
pub fn apply_resolution(day: BudgetDay, excess: i64, resolved: &Resolved) -> BudgetDay {
    BudgetDay {
        pending_excess: day.pending_excess.saturating_sub(excess),
        approved_excess: day.approved_excess.saturating_add(resolved.approved),
        ..day
    }
}

/// Undoes a posted or decided recovery on the budget day it was drawn from
/// (not the day of the reversal): the covered part returns to that day's budget
/// and the approved excess is withdrawn. The original entry stays as it was.
pub fn reverse(day: BudgetDay, covered: i64, approved: i64) -> BudgetDay {
    BudgetDay {
        spent: day.spent.saturating_sub(covered),
        approved_excess: day.approved_excess.saturating_sub(approved),
        ..day
    }
}

/// Validates the reason a reversal must carry.
pub fn reversal_reason(text: &str) -> Result<String, LedgerError> {
    required_reason(text)
}

fn required_reason(text: &str) -> Result<String, LedgerError> {
    let cleaned = clean_block(text);
    if cleaned.is_empty() {
        return Err(LedgerError::ReasonRequired);
    }
    if char_count(&cleaned) > MAX_REASON_CHARS {
        return Err(LedgerError::ReasonTooLong {
            max: MAX_REASON_CHARS,
        });
    }
    Ok(cleaned)
}

/// The ledger's invariant for one employee-day: nothing negative, the budget
/// never overdrawn, and posted spend ≤ allowance + approved excess.
pub fn invariant_holds(day: &BudgetDay) -> bool {
    let non_negative =
        day.allowance >= 0 && day.spent >= 0 && day.approved_excess >= 0 && day.pending_excess >= 0;
    // i128: the sums must not saturate into a false "holds".
    let posted = i128::from(day.spent) + i128::from(day.approved_excess);
    let limit = i128::from(day.allowance) + i128::from(day.approved_excess);
    non_negative && day.spent <= day.allowance && posted <= limit
}

slug_enum! {
    /// Where a recovery stands, derived from its entries (never stored apart
    /// from them, so it can't disagree with them).
    pub enum RecoveryStatus {
        Posted = "posted", "Posted";
        Pending = "pending", "Waiting for approval";
        Approved = "approved", "Approved";
        PartlyApproved = "partly-approved", "Partly approved";
        Denied = "denied", "Denied";
        Reversed = "reversed", "Reversed";
    }
    unknown(text) -> LedgerError { LedgerError::UnknownStatus(text) }
}

/// The status of a recovery with this `excess`, decision and reversal. A
/// recovery with no excess is simply posted; a reversal outranks everything.
pub fn status(excess: i64, resolution: Option<ResolutionKind>, reversed: bool) -> RecoveryStatus {
    if reversed {
        return RecoveryStatus::Reversed;
    }
    if excess <= 0 {
        return RecoveryStatus::Posted;
    }
    match resolution {
        None => RecoveryStatus::Pending,
        Some(ResolutionKind::Approved) => RecoveryStatus::Approved,
        Some(ResolutionKind::PartlyApproved) => RecoveryStatus::PartlyApproved,
        Some(ResolutionKind::Denied) => RecoveryStatus::Denied,
    }
}

/// May a supervisor decide this recovery now? Only a waiting one, and only once.
pub fn check_resolvable(status: RecoveryStatus) -> Result<(), LedgerError> {
    match status {
        RecoveryStatus::Pending => Ok(()),
        RecoveryStatus::Posted => Err(LedgerError::NotPending),
        RecoveryStatus::Approved | RecoveryStatus::PartlyApproved | RecoveryStatus::Denied => {
            Err(LedgerError::AlreadyResolved)
        }
        RecoveryStatus::Reversed => Err(LedgerError::AlreadyReversed),
    }
}

/// May this recovery be reversed now? Once, and not while its excess is still
/// waiting: the supervisor decides it first, so a reversal always undoes
/// settled amounts and a waiting request never loses its decision.
pub fn check_reversible(status: RecoveryStatus) -> Result<(), LedgerError> {
    match status {
        RecoveryStatus::Reversed => Err(LedgerError::AlreadyReversed),
        RecoveryStatus::Pending => Err(LedgerError::StillPending),
        RecoveryStatus::Posted
        | RecoveryStatus::Approved
        | RecoveryStatus::PartlyApproved
        | RecoveryStatus::Denied => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_closed_day_posts_nothing_the_whole_amount_waits() {
        let day = BudgetDay {
            allowance: 5_000,
            ..BudgetDay::default()
        };
        let allowance = Allowance {
            daily: 5_000,
            per_recovery_cap: None,
        };
        let late = split_on(&day, &allowance, 1_200, false).unwrap();
        assert_eq!(
            late,
            Split {
                covered: 0,
                excess: 1_200
            }
        );
        let on_time = split_on(&day, &allowance, 1_200, true).unwrap();
        assert_eq!(
            on_time,
            Split {
                covered: 1_200,
                excess: 0
            }
        );
        assert_eq!(
            split_on(&day, &allowance, 0, false).unwrap(),
            Split::default()
        );
        assert!(split_on(&day, &allowance, -1, false).is_err());
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        assert!(day_open(d(30), d(30)));
        assert!(!day_open(d(29), d(30)));
    }

    fn allowance(daily: i64, cap: Option<i64>) -> Allowance {
        Allowance {
            daily,
            per_recovery_cap: cap,
        }
    }

    fn day_with(allowance: i64, spent: i64) -> BudgetDay {
        BudgetDay {
            allowance,
            spent,
            ..BudgetDay::default()
        }
    }

    fn part(amount: i64) -> Resolution {
        Resolution::ApprovePart { amount }
    }

    fn deny(reason: &str) -> Resolution {
        Resolution::Deny {
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn a_recovery_within_budget_is_posted_at_once() {
        let (day, split) =
            record(BudgetDay::default(), &allowance(5_000, None), 3_500).expect("valid amount");
        assert_eq!(
            split,
            Split {
                covered: 3_500,
                excess: 0
            }
        );
        assert!(!split.needs_approval());
        assert_eq!(day.spent, 3_500);
        assert_eq!(day.remaining(), 1_500);
        assert_eq!(day.pending_excess, 0);
        assert_eq!(status(split.excess, None, false), RecoveryStatus::Posted);
    }

    #[test]
    fn a_recovery_of_exactly_the_remaining_budget_needs_no_approval() {
        let split = split(&day_with(5_000, 2_000), &allowance(5_000, None), 3_000);
        assert_eq!(
            split,
            Ok(Split {
                covered: 3_000,
                excess: 0
            })
        );
    }

    #[test]
    fn a_recovery_over_budget_uses_what_remains_and_the_rest_waits() {
        let (day, split) =
            record(day_with(5_000, 4_000), &allowance(5_000, None), 2_500).expect("valid amount");
        assert_eq!(
            split,
            Split {
                covered: 1_000,
                excess: 1_500
            }
        );
        assert!(split.needs_approval());
        assert_eq!(day.spent, 5_000);
        assert_eq!(day.remaining(), 0);
        assert_eq!(day.pending_excess, 1_500);
        assert_eq!(status(split.excess, None, false), RecoveryStatus::Pending);
    }

    #[test]
    fn with_nothing_left_the_whole_amount_waits() {
        let split = split(&day_with(5_000, 5_000), &allowance(5_000, None), 800);
        assert_eq!(
            split,
            Ok(Split {
                covered: 0,
                excess: 800
            })
        );
    }

    #[test]
    fn the_per_recovery_cap_limits_the_covered_part_even_with_budget_left() {
        let split = split(&day_with(10_000, 0), &allowance(10_000, Some(2_000)), 3_000);
        assert_eq!(
            split,
            Ok(Split {
                covered: 2_000,
                excess: 1_000
            })
        );
    }

    #[test]
    fn a_fix_without_cost_is_posted_with_nothing_covered_or_waiting() {
        let (day, split) =
            record(day_with(0, 0), &allowance(0, Some(1)), 0).expect("zero is valid");
        assert_eq!(split, Split::default());
        assert_eq!(day, day_with(0, 0));
        assert_eq!(status(split.excess, None, false), RecoveryStatus::Posted);
    }

    #[test]
    fn a_negative_amount_is_refused() {
        assert_eq!(
            split(&BudgetDay::default(), &allowance(100, None), -1),
            Err(LedgerError::NegativeAmount)
        );
        assert_eq!(
            record(BudgetDay::default(), &allowance(100, None), -1),
            Err(LedgerError::NegativeAmount)
        );
    }

    #[test]
    fn a_huge_amount_splits_without_overflow() {
        let split = split(&day_with(5_000, 0), &allowance(5_000, None), i64::MAX);
        assert_eq!(
            split,
            Ok(Split {
                covered: 5_000,
                excess: i64::MAX - 5_000
            })
        );
    }

    #[test]
    fn raising_the_allowance_mid_day_adds_to_what_remains() {
        let day = refresh_allowance(day_with(5_000, 4_000), 8_000);
        assert_eq!(day.allowance, 8_000);
        assert_eq!(day.remaining(), 4_000);
    }

    #[test]
    fn lowering_the_allowance_below_spend_leaves_nothing_but_keeps_spend_legal() {
        let day = refresh_allowance(day_with(5_000, 4_000), 1_000);
        assert_eq!(day.allowance, 4_000);
        assert_eq!(day.remaining(), 0);
        assert!(invariant_holds(&day));
    }

    #[test]
    fn a_negative_resolved_allowance_counts_as_zero() {
        assert_eq!(refresh_allowance(BudgetDay::default(), -10).allowance, 0);
    }

    #[test]
    fn remaining_never_goes_below_zero() {
        let broken = day_with(100, 500);
        assert_eq!(broken.remaining(), 0);
        assert!(!invariant_holds(&broken));
    }

    #[test]
    fn approving_all_posts_the_whole_excess() {
        let resolved = resolve(1_500, Resolution::ApproveAll).expect("valid");
        assert_eq!(
            resolved,
            Resolved {
                approved: 1_500,
                kind: ResolutionKind::Approved,
                reason: None
            }
        );
        let day = BudgetDay {
            allowance: 5_000,
            spent: 5_000,
            approved_excess: 0,
            pending_excess: 1_500,
        };
        let day = apply_resolution(day, 1_500, &resolved);
        assert_eq!(day.pending_excess, 0);
        assert_eq!(day.approved_excess, 1_500);
        assert_eq!(day.posted_total(), 6_500);
        assert_eq!(day.spent, 5_000, "approval never draws on the budget");
        assert!(invariant_holds(&day));
        assert_eq!(
            status(1_500, Some(resolved.kind), false),
            RecoveryStatus::Approved
        );
    }

    #[test]
    fn approving_part_posts_only_that_part() {
        let resolved = resolve(1_500, part(500)).expect("valid");
        assert_eq!(
            resolved,
            Resolved {
                approved: 500,
                kind: ResolutionKind::PartlyApproved,
                reason: None
            }
        );
        let day = apply_resolution(
            BudgetDay {
                pending_excess: 1_500,
                ..BudgetDay::default()
            },
            1_500,
            &resolved,
        );
        assert_eq!(day.pending_excess, 0);
        assert_eq!(day.approved_excess, 500);
        assert_eq!(
            status(1_500, Some(resolved.kind), false),
            RecoveryStatus::PartlyApproved
        );
    }

    #[test]
    fn approving_a_part_equal_to_the_excess_counts_as_approving_all() {
        let resolved = resolve(1_500, part(1_500)).expect("valid");
        assert_eq!(resolved.kind, ResolutionKind::Approved);
        assert_eq!(resolved.approved, 1_500);
    }

    #[test]
    fn approving_more_than_the_excess_is_refused_with_the_most_allowed() {
        let error = resolve(1_500, part(1_501)).unwrap_err();
        assert_eq!(error, LedgerError::ApproveTooMuch { max: 1_500 });
        assert_eq!(
            error.message(Currency::EUR),
            "You can approve at most 15.00 EUR"
        );
        assert_eq!(
            error.message(Currency::JPY),
            "You can approve at most 1500 JPY"
        );
    }

    #[test]
    fn approving_nothing_or_a_negative_part_is_refused() {
        assert_eq!(resolve(1_500, part(0)), Err(LedgerError::ApproveNothing));
        assert_eq!(resolve(1_500, part(-5)), Err(LedgerError::NegativeAmount));
    }

    #[test]
    fn a_denial_posts_nothing_and_keeps_its_reason() {
        let resolved =
            resolve(1_500, deny("  Already compensated\tby the manager ")).expect("valid");
        assert_eq!(
            resolved,
            Resolved {
                approved: 0,
                kind: ResolutionKind::Denied,
                reason: Some("Already compensated by the manager".into())
            }
        );
        let day = apply_resolution(
            BudgetDay {
                pending_excess: 1_500,
                ..BudgetDay::default()
            },
            1_500,
            &resolved,
        );
        assert_eq!(day, BudgetDay::default());
        assert_eq!(
            status(1_500, Some(resolved.kind), false),
            RecoveryStatus::Denied
        );
    }

    #[test]
    fn a_denial_needs_a_reason() {
        assert_eq!(resolve(1_500, deny("")), Err(LedgerError::ReasonRequired));
        assert_eq!(
            resolve(1_500, deny(" \t\r\n\u{0007} ")),
            Err(LedgerError::ReasonRequired)
        );
        assert_eq!(LedgerError::ReasonRequired.to_string(), "Give a reason");
    }

    #[test]
    fn a_reason_may_be_500_characters_but_not_more() {
        assert!(resolve(1_500, deny(&"é".repeat(500))).is_ok());
        assert_eq!(
            resolve(1_500, deny(&"é".repeat(501))),
            Err(LedgerError::ReasonTooLong { max: 500 })
        );
    }

    #[test]
    fn there_is_nothing_to_decide_without_an_excess() {
        assert_eq!(
            resolve(0, Resolution::ApproveAll),
            Err(LedgerError::NotPending)
        );
        assert_eq!(resolve(-3, deny("why")), Err(LedgerError::NotPending));
    }

    #[test]
    fn a_request_can_be_decided_only_while_it_waits() {
        assert_eq!(check_resolvable(RecoveryStatus::Pending), Ok(()));
        assert_eq!(
            check_resolvable(RecoveryStatus::Posted),
            Err(LedgerError::NotPending)
        );
        for decided in [
            RecoveryStatus::Approved,
            RecoveryStatus::PartlyApproved,
            RecoveryStatus::Denied,
        ] {
            assert_eq!(check_resolvable(decided), Err(LedgerError::AlreadyResolved));
        }
        assert_eq!(
            check_resolvable(RecoveryStatus::Reversed),
            Err(LedgerError::AlreadyReversed)
        );
    }

    #[test]
    fn reversing_gives_the_covered_part_back_and_withdraws_the_approval() {
        let day = BudgetDay {
            allowance: 5_000,
            spent: 5_000,
            approved_excess: 1_500,
            pending_excess: 0,
        };
        let day = reverse(day, 1_000, 1_500);
        assert_eq!(
            day,
            BudgetDay {
                allowance: 5_000,
                spent: 4_000,
                approved_excess: 0,
                pending_excess: 0
            }
        );
        assert_eq!(day.remaining(), 1_000);
        assert!(invariant_holds(&day));
        assert_eq!(
            status(1_500, Some(ResolutionKind::Approved), true),
            RecoveryStatus::Reversed
        );
    }

    #[test]
    fn a_recovery_is_reversed_at_most_once_and_never_while_waiting() {
        assert_eq!(check_reversible(RecoveryStatus::Posted), Ok(()));
        assert_eq!(check_reversible(RecoveryStatus::Approved), Ok(()));
        assert_eq!(check_reversible(RecoveryStatus::PartlyApproved), Ok(()));
        assert_eq!(check_reversible(RecoveryStatus::Denied), Ok(()));
        assert_eq!(
            check_reversible(RecoveryStatus::Reversed),
            Err(LedgerError::AlreadyReversed)
        );
        assert_eq!(
            check_reversible(RecoveryStatus::Pending),
            Err(LedgerError::StillPending)
        );
    }

    #[test]
    fn a_reversal_needs_a_reason_of_sensible_length() {
        assert_eq!(
            reversal_reason("  Logged twice by mistake "),
            Ok("Logged twice by mistake".into())
        );
        assert_eq!(reversal_reason("   "), Err(LedgerError::ReasonRequired));
        assert_eq!(
            reversal_reason(&"x".repeat(501)),
            Err(LedgerError::ReasonTooLong { max: 500 })
        );
    }

    #[test]
    fn a_recovery_without_excess_is_posted_whatever_else_is_said() {
        assert_eq!(status(0, None, false), RecoveryStatus::Posted);
        assert_eq!(
            status(0, Some(ResolutionKind::Denied), false),
            RecoveryStatus::Posted
        );
        assert_eq!(status(0, None, true), RecoveryStatus::Reversed);
    }

    #[test]
    fn statuses_have_stable_slugs_and_labels_for_people() {
        assert_eq!(RecoveryStatus::PartlyApproved.as_str(), "partly-approved");
        assert_eq!(RecoveryStatus::Pending.label(), "Waiting for approval");
        for s in RecoveryStatus::ALL {
            assert_eq!(RecoveryStatus::from_slug(s.as_str()), Some(*s));
        }
        for k in ResolutionKind::ALL {
            assert_eq!(ResolutionKind::parse(k.as_str()), Ok(*k));
        }
        assert_eq!(
            ResolutionKind::parse("maybe"),
            Err(LedgerError::UnknownDecision("maybe".into()))
        );
        assert_eq!(
            RecoveryStatus::parse(" Reversed "),
            Ok(RecoveryStatus::Reversed)
        );
        assert!(RecoveryStatus::parse("lost").is_err());
    }

    #[test]
    fn the_invariant_catches_overdrawn_and_negative_days() {
        assert!(invariant_holds(&BudgetDay::default()));
        assert!(invariant_holds(&BudgetDay {
            allowance: 100,
            spent: 100,
            approved_excess: 900,
            pending_excess: 50
        }));
        assert!(!invariant_holds(&day_with(100, 101)));
        assert!(!invariant_holds(&BudgetDay {
            pending_excess: -1,
            ..BudgetDay::default()
        }));
        assert!(!invariant_holds(&BudgetDay {
            approved_excess: -1,
            ..BudgetDay::default()
        }));
        assert!(invariant_holds(&BudgetDay {
            allowance: i64::MAX,
            spent: i64::MAX,
            approved_excess: i64::MAX,
            pending_excess: 0
        }));
    }

    #[test]
    fn a_resolution_serialises_with_a_decision_tag() {
        use serde::de::value::{Error as ValueError, MapDeserializer};
        let fields = vec![("decision", "deny"), ("reason", "duplicate")];
        let read =
            Resolution::deserialize(MapDeserializer::<_, ValueError>::new(fields.into_iter()));
        assert_eq!(read, Ok(deny("duplicate")));
    }

    /// One step a person (or a policy change) can take on a budget day.
    #[derive(Clone, Debug)]
    enum Step {
        ChangePolicy { daily: i64 },
        Record { amount: i64, cap: Option<i64> },
        Decide { pick: usize, choice: u8, part: i64 },
        Reverse { pick: usize },
    }

    /// The test's own record of each recovery, to check the day against.
    #[derive(Clone, Debug)]
    struct Request {
        covered: i64,
        excess: i64,
        resolved: Option<Resolved>,
        times_resolved: u32,
        reversed: bool,
    }

    impl Request {
        fn status(&self) -> RecoveryStatus {
            status(
                self.excess,
                self.resolved.as_ref().map(|r| r.kind),
                self.reversed,
            )
        }
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            1 => (0_i64..20_000).prop_map(|daily| Step::ChangePolicy { daily }),
            4 => (0_i64..8_000, proptest::option::of(1_i64..5_000))
                .prop_map(|(amount, cap)| Step::Record { amount, cap }),
            3 => (any::<usize>(), 0_u8..4, -100_i64..10_000)
                .prop_map(|(pick, choice, part)| Step::Decide { pick, choice, part }),
            2 => any::<usize>().prop_map(|pick| Step::Reverse { pick }),
        ]
    }

    fn assert_matches_model(day: &BudgetDay, requests: &[Request]) {
        let live = || requests.iter().filter(|r| !r.reversed);
        let spent: i64 = live().map(|r| r.covered).sum();
        let pending: i64 = live()
            .filter(|r| r.resolved.is_none())
            .map(|r| r.excess)
            .sum();
        let approved: i64 = live()
            .filter_map(|r| r.resolved.as_ref())
            .map(|r| r.approved)
            .sum();
        assert_eq!(day.spent, spent);
        assert_eq!(day.pending_excess, pending);
        assert_eq!(day.approved_excess, approved);
        assert!(requests.iter().all(|r| r.times_resolved <= 1));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn the_invariant_holds_after_any_sequence_of_ledger_steps(
            initial_daily in 0_i64..20_000,
            steps in proptest::collection::vec(step(), 1..80),
        ) {
            let mut daily = initial_daily;
            let mut day = refresh_allowance(BudgetDay::default(), daily);
            let mut requests: Vec<Request> = Vec::new();

            for step in steps {
                match step {
                    Step::ChangePolicy { daily: new_daily } => {
                        daily = new_daily;
                        day = refresh_allowance(day, daily);
                        prop_assert!(day.allowance >= daily);
                    }
                    Step::Record { amount, cap } => {
                        let policy = allowance(daily, cap);
                        let spent_before = day.spent;
                        let (next, split) = record(day, &policy, amount)
                            .map_err(|e| TestCaseError::fail(e.to_string()))?;
                        prop_assert_eq!(split.covered + split.excess, amount);
                        prop_assert!(split.covered >= 0 && split.excess >= 0);
                        prop_assert!(cap.is_none_or(|c| split.covered <= c));
                        // Only what today's policy leaves may be covered.
                        prop_assert!(split.covered <= (daily - spent_before).max(0));
                        day = next;
                        requests.push(Request {
                            covered: split.covered,
                            excess: split.excess,
                            resolved: None,
                            times_resolved: 0,
                            reversed: false,
                        });
                    }
                    Step::Decide { pick, choice, part: amount } => {
                        if requests.is_empty() {
                            continue;
                        }
                        let index = pick % requests.len();
                        let request = &mut requests[index];
                        let current = request.status();
                        match check_resolvable(current) {
                            Ok(()) => {
                                prop_assert_eq!(current, RecoveryStatus::Pending);
                                let resolution = match choice {
                                    0 => Resolution::ApproveAll,
                                    1 => Resolution::ApprovePart { amount },
                                    2 => deny("Not justified"),
                                    _ => deny("   "),
                                };
                                match resolve(request.excess, resolution) {
                                    Ok(resolved) => {
                                        prop_assert!(resolved.approved >= 0);
                                        prop_assert!(resolved.approved <= request.excess);
                                        day = apply_resolution(day, request.excess, &resolved);
                                        request.resolved = Some(resolved);
                                        request.times_resolved += 1;
                                    }
                                    Err(_) => {
                                        // Only an impossible part or a blank denial fails,
                                        // and then nothing changes.
                                        let impossible = choice == 1
                                            && (amount <= 0 || amount > request.excess);
                                        prop_assert!(impossible || choice == 3);
                                    }
                                }
                            }
                            Err(_) => prop_assert_ne!(current, RecoveryStatus::Pending),
                        }
                    }
                    Step::Reverse { pick } => {
                        if requests.is_empty() {
                            continue;
                        }
                        let index = pick % requests.len();
                        let request = &mut requests[index];
                        let current = request.status();
                        match check_reversible(current) {
                            Ok(()) => {
                                let approved = request.resolved.as_ref().map_or(0, |r| r.approved);
                                day = reverse(day, request.covered, approved);
                                request.reversed = true;
                            }
                            Err(_) => prop_assert!(matches!(
                                current,
                                RecoveryStatus::Pending | RecoveryStatus::Reversed
                            )),
                        }
                    }
                }
                prop_assert!(invariant_holds(&day), "invariant broken: {:?}", day);
                assert_matches_model(&day, &requests);
            }
        }
    }
}
