//! The ledger's use cases: log a recovery, decide on a request, reverse a recovery. Each
//! checks the caller's role and scope (the scope is a condition of the query that reads the
//! recovery), then writes through the store, whose transaction applies the domain rules —
//! the split, closed days, resolve once, reverse once, nobody on their own.

use chrono::{DateTime, Utc};
use domain::{
    budget_day::local_date,
    ledger::{reversal_reason, Resolution},
    money::{parse_amount, Currency},
    org::Role,
    policy::{resolve_allowance, Holder},
    recovery::{NewRecovery, RecoveryForm},
};
use store::{
    ledger::{
        BudgetContext, DecisionReceipt, RecordRecovery, RecoveryReceipt, ResolvePending,
        ReversalReceipt, ReverseRecovery,
    },
    queries::RecoveryRow,
    Store,
};

use crate::{events::LedgerEvents, Actor, ServiceError};

/// A logged recovery and what the receipt needs to say about it.
#[derive(Clone, Debug)]
pub struct Logged {
    pub receipt: RecoveryReceipt,
    pub location_id: i64,
    pub currency: Currency,
    pub time_zone: chrono_tz::Tz,
}

/// Logs a recovery against the actor's own budget: parse the form against the
/// organisation's lists and limits, record it once per key, tell open approval queues, and
/// run the learning check (which never turns a stored recovery into an error).
#[tracing::instrument(name = "ledger::log_recovery", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn log_recovery(
    store: &Store,
    events: &LedgerEvents,
    actor: &Actor,
    idempotency_key: &str,
    form: &RecoveryForm,
    now: DateTime<Utc>,
) -> Result<Logged, ServiceError> {
    actor.require(Role::Staff)?;
    let org = actor.organisation_id;
    // Where the person works, their organisation's limits and learning thresholds: one read.
    let context = store.log_context(org, actor.person_id).await?;
    let currency = context.currency;
    let taxonomy =
        store::organisations::form_taxonomy(&store.taxonomy(org).await?, context.max_amount_major);
    let recovery = NewRecovery::parse(form, &taxonomy, currency, now).map_err(|errors| {
        ServiceError::Fields(
            errors
                .errors
                .iter()
                .map(|(field, message)| (field.as_str().to_string(), message.clone()))
                .collect(),
        )
    })?;
    // The allowance on the day it happened, from the policies and that day's boosts (one
    // read) and the roles the actor was loaded with.
    let budget_date = local_date(recovery.occurred_at, context.time_zone);
    let (policies, boosts) = store.allowance_rules(org, budget_date).await?;
    let holder = Holder {
        person_id: actor.person_id,
        team_id: context.team_id,
        roles: actor.grants.iter().map(|g| g.role).collect(),
    };
    let budget = BudgetContext {
        location_id: context.location_id,
        team_id: context.team_id,
        currency: context.currency,
        allowance: resolve_allowance(&holder, &policies, &boosts, budget_date),
        time_zone: context.time_zone,
        max_amount_major: context.max_amount_major,
    };
    let (category, touchpoint) = (recovery.category.clone(), recovery.touchpoint.clone());
    let receipt = store
        .record_recovery_in(
            &RecordRecovery {
                organisation_id: org,
                person_id: actor.person_id,
                recorded_by: actor.person_id,
                // The form as sent, so a retry matches even though "now" differs.
                fingerprint: Some(store::fingerprint(&(actor.person_id, form))),
                idempotency_key: idempotency_key.to_string(),
                recovery,
            },
            &budget,
            now,
        )
        .await
        .map_err(|e| ServiceError::in_currency(e, currency))?;
    if receipt.excess_minor > 0 && !receipt.replayed {
        events.queue_changed(org, context.location_id);
    }
    // The recovery is stored: the learning loop must not turn it into an error. Also on a
    // replay: if the first attempt died between the ledger write and this check, the retry
    // makes it up (the check is idempotent).
    let cause = crate::learning::Cause {
        organisation_id: org,
        location_id: context.location_id,
        category: &category,
        touchpoint: &touchpoint,
        budget_date: receipt.budget_date,
    };
    if let Err(error) = crate::learning::after_logged(store, &cause, &context.thresholds, now).await
    {
        tracing::warn!(error = ?error, recovery = receipt.recovery_id, "learning loop check failed");
    }
    Ok(Logged {
        receipt,
        location_id: context.location_id,
        currency,
        time_zone: context.time_zone,
    })
}

/// A recovery the actor may act on as a supervisor: in their scope, or not found.
pub async fn supervised_recovery(
    store: &Store,
    actor: &Actor,
    recovery_id: i64,
) -> Result<(RecoveryRow, Currency), ServiceError> {
    let scope = actor.scope(Role::Supervisor)?;
    let row = store
        .recovery_in_scope(actor.organisation_id, recovery_id, scope.as_deref())
        .await?;
    let currency = row.currency;
    Ok((row, currency))
}

/// A supervisor's decision as typed on the form: "approve", "part" (with an amount) or
/// "deny" (with a reason).
pub fn parse_decision(
    decision: &str,
    amount: &str,
    reason: String,
    currency: Currency,
) -> Result<Resolution, ServiceError> {
    Ok(match decision {
        "approve" => Resolution::ApproveAll,
        "part" => Resolution::ApprovePart {
            amount: parse_amount(amount, currency)
                .map_err(|e| ServiceError::Invalid(format!("Amount: {e}")))?,
        },
        "deny" => Resolution::Deny { reason },
        _ => {
            return Err(ServiceError::Invalid(
                "Choose approve, approve part or deny.".into(),
            ))
        }
    })
}

/// A supervisor's decision as the form sends it.
#[derive(Clone, Debug)]
pub struct Decision<'a> {
    pub recovery_id: i64,
    /// "approve", "part" or "deny".
    pub decision: &'a str,
    /// The amount approved, for "part".
    pub amount: &'a str,
    /// Required for "deny".
    pub reason: String,
    pub idempotency_key: &'a str,
}

/// Decides on a waiting request. Supervisors of its location (or above) only; never on
/// one's own request (the store refuses that too).
#[tracing::instrument(name = "ledger::resolve", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn resolve(
    store: &Store,
    events: &LedgerEvents,
    actor: &Actor,
    decision: Decision<'_>,
    now: DateTime<Utc>,
) -> Result<(DecisionReceipt, RecoveryRow, Currency), ServiceError> {
    let Decision {
        recovery_id,
        decision,
        amount,
        reason,
        idempotency_key,
    } = decision;
    let (row, currency) = supervised_recovery(store, actor, recovery_id).await?;
    let resolution = parse_decision(decision, amount, reason, currency)?;
    let receipt = store
        .resolve_pending(
            &ResolvePending {
                organisation_id: actor.organisation_id,
                recovery_id,
                decided_by: actor.person_id,
                idempotency_key: idempotency_key.to_string(),
                resolution,
            },
            now,
        )
        .await
        .map_err(|e| ServiceError::in_currency(e, currency))?;
    events.queue_changed(actor.organisation_id, row.location_id);
    Ok((receipt, row, currency))
}

/// Reverses a posted or decided recovery with a reason, and audits it. Supervisors of its
/// location (or above) only; never one's own recovery (the store refuses that too).
#[tracing::instrument(name = "ledger::reverse", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn reverse(
    store: &Store,
    events: &LedgerEvents,
    actor: &Actor,
    recovery_id: i64,
    reason: &str,
    idempotency_key: &str,
    now: DateTime<Utc>,
) -> Result<(ReversalReceipt, RecoveryRow, Currency), ServiceError> {
    let (row, currency) = supervised_recovery(store, actor, recovery_id).await?;
    reversal_reason(reason).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let receipt = store
        .reverse_recovery(
            &ReverseRecovery {
                organisation_id: actor.organisation_id,
                recovery_id,
                reversed_by: actor.person_id,
                reason: reason.to_string(),
                idempotency_key: idempotency_key.to_string(),
            },
            now,
        )
        .await
        .map_err(|e| ServiceError::in_currency(e, currency))?;
    if !receipt.replayed {
        let returned = receipt
            .reversed_covered_minor
            .checked_add(receipt.reversed_approved_minor)
            .unwrap_or(i64::MAX);
        crate::audit::record(
            store,
            actor,
            "recovery.reverse",
            &format!("recovery:{recovery_id}"),
            None,
            Some(serde_json::json!({
                "person": row.person_name,
                "returned": domain::money::format_with_code(returned, currency),
                "reason": reversal_reason(reason).unwrap_or_default(),
            })),
            now,
        )
        .await?;
        events.queue_changed(actor.organisation_id, row.location_id);
    }
    Ok((receipt, row, currency))
}

/// A sampled review's verdict on a within-budget recovery: supervisors of its location (or
/// above), never on their own recovery (the store refuses that too), once per recovery.
#[tracing::instrument(name = "ledger::spot_check", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn spot_check(
    store: &Store,
    actor: &Actor,
    recovery_id: i64,
    verdict: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (verdict, note) = domain::review::spot_check(verdict, note)
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let (row, _) = supervised_recovery(store, actor, recovery_id).await?;
    if row.excess_minor > 0 {
        return Err(ServiceError::Invalid(
            "Only recoveries within budget are sampled; this one went to approval.".into(),
        ));
    }
    store
        .record_spot_check(
            actor.organisation_id,
            recovery_id,
            actor.person_id,
            verdict,
            &note,
            now,
        )
        .await?;
    Ok(())
}
