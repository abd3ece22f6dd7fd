//! The supervisor console beyond the approval queue: spend per person and team against
//! allowance over a day or a range, the review of recoveries with filters and reversal, the
//! daily sampled review, the budgets of the people and teams supervised, and the decisions a
//! supervisor made (their own log). Every use case sees only the locations where the actor
//! supervises (the scope is a condition of the store's queries).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::{
    ledger::{check_reversible, RecoveryStatus, ResolutionKind},
    money::{format_with_code, parse_amount, Currency},
    org::{Role, TaxonomyKind},
    policy::{resolve_allowance, Allowance, Boost, BudgetPolicy, Holder, PolicyScope},
    review::{daily_sample, sample_window, Verdict, SAMPLE_SIZE},
};
use store::{
    queries::{RecoveryFilter, RecoveryRow, ReviewSort},
    Store,
};
use views::{
    console::{
        ActionView, BudgetLine, BudgetsView, ReviewOptions, ReviewPage, ReviewQuery, ReviewRow,
        SampleItem, SampleView, SpendLine, SpendReport, MAX_RANGE_DAYS, REVIEW_LIMIT,
    },
    Choice,
};

use crate::{
    events::LedgerEvents,
    scope::{label_of, labels, locations_for},
    Actor, ServiceError,
};

/// A date typed into a filter: "" is none.
pub fn date(text: &str, field: &str) -> Result<Option<NaiveDate>, ServiceError> {
    match text.trim() {
        "" => Ok(None),
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ServiceError::Invalid(format!("{field}: use a date like 2026-11-23."))),
    }
}

/// A from–to range: both empty = `default`; one empty = that one day; at most
/// [`MAX_RANGE_DAYS`] long.
pub fn range(
    from: &str,
    to: &str,
    default: (NaiveDate, NaiveDate),
) -> Result<(NaiveDate, NaiveDate), ServiceError> {
    let (from, to) = match (date(from, "From")?, date(to, "To")?) {
        (None, None) => default,
        (Some(day), None) | (None, Some(day)) => (day, day),
        (Some(from), Some(to)) => (from, to),
    };
    if from > to {
        return Err(ServiceError::Invalid(
            "The range ends before it starts: put the earlier date first.".into(),
        ));
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(ServiceError::Invalid(format!(
            "Choose a range of at most {MAX_RANGE_DAYS} days."
        )));
    }
    Ok((from, to))
}

/// The range as a heading: "Mon 23 Nov 2026" or "16 Nov – 22 Nov 2026".
pub fn title(from: NaiveDate, to: NaiveDate) -> String {
    if from == to {
        from.format("%a %d %b %Y").to_string()
    } else {
        format!("{} – {}", from.format("%d %b"), to.format("%d %b %Y"))
    }
}

/// What people may spend: the policies, the boosts running from a date, and each
/// person's roles — loaded once, then evaluated per person and day.
pub struct Allowances {
    policies: Vec<BudgetPolicy>,
    boosts: Vec<Boost>,
    roles: HashMap<i64, Vec<Role>>,
}

impl Allowances {
    /// Loads the organisation's policies, the boosts running on or after `from` and every
    /// person's roles.
    pub async fn load(
        store: &Store,
        organisation_id: i64,
        from: NaiveDate,
    ) -> Result<Allowances, ServiceError> {
        let mut roles: HashMap<i64, Vec<Role>> = HashMap::new();
        for (person, role, _) in store.role_grants(organisation_id).await? {
            roles.entry(person).or_default().push(role);
        }
        Ok(Allowances {
            policies: store.policies(organisation_id).await?,
            boosts: store.boosts(organisation_id, from).await?,
            roles,
        })
    }

    /// What a person may spend on a date under the current policies and boosts.
    pub fn on(&self, person_id: i64, team_id: Option<i64>, date: NaiveDate) -> Allowance {
        let holder = Holder {
            person_id,
            team_id,
            roles: self.roles.get(&person_id).cloned().unwrap_or_default(),
        };
        resolve_allowance(&holder, &self.policies, &self.boosts, date)
    }

    /// The organisation's policies.
    pub fn policies(&self) -> &[BudgetPolicy] {
        &self.policies
    }

    /// The boosts running on or after the date they were loaded from.
    pub fn boosts(&self) -> &[Boost] {
        &self.boosts
    }
}

/// "Looks right — Ana Costa" for a recovery the sampled review checked.
pub fn spot_verdict(row: &RecoveryRow) -> Option<String> {
    row.spot_verdict.as_deref().map(|v| {
        format!(
            "{} — {}",
            Verdict::parse(v).map_or("Checked", |v| v.label()),
            row.spot_checked_by_name.as_deref().unwrap_or_default()
        )
    })
}

/// `part` as a share of `whole`, in whole percent (0 when there is no whole).
pub fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        i64::try_from((i128::from(part) * 100) / i128::from(whole)).unwrap_or(i64::MAX)
    }
}

/// Spend per person and per team against allowance over a day or a range (default today),
/// with pending requests and open and overdue follow-ups. Supervisors, in the locations
/// they supervise.
#[tracing::instrument(name = "console::spend", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn spend(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    from: &str,
    to: &str,
) -> Result<SpendReport, ServiceError> {
    let (scope, locations) = locations_for(store, actor, Role::Supervisor).await?;
    let org = actor.organisation_id;
    let today = crate::scope::today(store, actor, now).await?;
    let (from, to) = range(from, to, (today, today))?;
    let scope = scope.as_deref();

    let spend = store.spend_by_person(org, scope, from, to).await?;
    let stored: HashMap<(i64, NaiveDate), i64> = store
        .stored_allowances(org, scope, from, to)
        .await?
        .into_iter()
        .map(|(person, date, allowance)| ((person, date), allowance))
        .collect();
    let follow_ups: HashMap<i64, (i64, i64)> = store
        .follow_up_counts(org, scope, now)
        .await?
        .into_iter()
        .map(|c| (c.person_id, (c.open, c.overdue)))
        .collect();
    let allowances = Allowances::load(store, org, from).await?;
    let teams = store.teams(org).await?;
    let team_name = |id: Option<i64>| {
        id.and_then(|id| teams.iter().find(|t| t.id == id))
            .map_or_else(String::new, |t| t.name.clone())
    };
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();

    struct Totals {
        location_id: i64,
        recoveries: i64,
        spent: i64,
        allowance: i64,
        pending: i64,
        open: i64,
        overdue: i64,
    }
    let mut people = Vec::new();
    let mut by_team: Vec<(i64, Totals)> = Vec::new();
    let (mut pending, mut open_total, mut overdue_total) = (0, 0, 0);
    for row in spend {
        let Some(location) = locations.iter().find(|l| l.id == row.location_id) else {
            continue;
        };
        let currency = location.currency;
        // A past day's allowance is what its budget evaluations stored; a day without
        // any recovery is what the policies give that day.
        let allowance: i64 = days
            .iter()
            .map(|day| {
                stored
                    .get(&(row.person_id, *day))
                    .copied()
                    .unwrap_or_else(|| allowances.on(row.person_id, row.team_id, *day).daily)
            })
            .fold(0_i64, i64::saturating_add);
        let (open, overdue) = follow_ups.get(&row.person_id).copied().unwrap_or_default();
        pending += row.pending;
        open_total += open;
        overdue_total += overdue;
        if let Some(team_id) = row.team_id {
            let index = match by_team.iter().position(|(id, _)| *id == team_id) {
                Some(index) => index,
                None => {
                    by_team.push((
                        team_id,
                        Totals {
                            location_id: row.location_id,
                            recoveries: 0,
                            spent: 0,
                            allowance: 0,
                            pending: 0,
                            open: 0,
                            overdue: 0,
                        },
                    ));
                    by_team.len() - 1
                }
            };
            let totals = &mut by_team[index].1;
            totals.recoveries += row.recoveries;
            totals.spent = totals.spent.saturating_add(row.posted_minor);
            totals.allowance = totals.allowance.saturating_add(allowance);
            totals.pending += row.pending;
            totals.open += open;
            totals.overdue += overdue;
        }
        people.push(SpendLine {
            id: row.person_id,
            name: row.person_name,
            location: location.name.clone(),
            team: team_name(row.team_id),
            recoveries: row.recoveries,
            spent: format_with_code(row.posted_minor, currency),
            allowance: format_with_code(allowance, currency),
            used_percent: percent(row.posted_minor, allowance),
            pending: row.pending,
            open_follow_ups: open,
            overdue_follow_ups: overdue,
        });
    }
    let mut team_lines = Vec::new();
    for (team_id, totals) in by_team {
        let location = locations
            .iter()
            .find(|l| l.id == totals.location_id)
            .ok_or_else(|| ServiceError::Internal(format!("team {team_id}: no location")))?;
        let currency = location.currency;
        team_lines.push(SpendLine {
            id: team_id,
            name: team_name(Some(team_id)),
            location: location.name.clone(),
            team: String::new(),
            recoveries: totals.recoveries,
            spent: format_with_code(totals.spent, currency),
            allowance: format_with_code(totals.allowance, currency),
            used_percent: percent(totals.spent, totals.allowance),
            pending: totals.pending,
            open_follow_ups: totals.open,
            overdue_follow_ups: totals.overdue,
        });
    }
    team_lines.sort_by(|a, b| (&a.location, &a.name).cmp(&(&b.location, &b.name)));
    Ok(SpendReport {
        from: from.to_string(),
        to: to.to_string(),
        title: title(from, to),
        people,
        teams: team_lines,
        pending,
        open_follow_ups: open_total,
        overdue_follow_ups: overdue_total,
    })
}

/// Recoveries in the actor's locations matching the filters (default: the last 7 days),
/// each with its history and whether the actor may reverse it. Supervisors, in the
/// locations they supervise.
#[tracing::instrument(name = "console::review", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn review(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    query: ReviewQuery,
) -> Result<ReviewPage, ServiceError> {
    let (scope, locations) = locations_for(store, actor, Role::Supervisor).await?;
    let org = actor.organisation_id;
    let today = crate::scope::today(store, actor, now).await?;
    let (from, to) = range(&query.from, &query.to, (today - Duration::days(6), today))?;
    let id = |text: &str, what: &str| -> Result<Option<i64>, ServiceError> {
        match text.trim() {
            "" => Ok(None),
            text => text
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ServiceError::Invalid(format!("Choose a {what} from the list."))),
        }
    };
    let location_id = id(&query.location, "location")?;
    if let Some(location_id) = location_id {
        if !locations.iter().any(|l| l.id == location_id) {
            return Err(ServiceError::NotFound("location"));
        }
    }
    // Amounts are typed in the currency of the locations shown; with a mix of currencies
    // the bounds use the first one's exponent (all of the demo's have two decimals).
    let currency = locations
        .iter()
        .find(|l| Some(l.id) == location_id)
        .or(locations.first())
        .map(|l| l.currency)
        .map_or_else(
            || Currency::parse("EUR").map_err(|e| ServiceError::Internal(e.to_string())),
            Ok,
        )?;
    let amount = |text: &str, field: &str| -> Result<Option<i64>, ServiceError> {
        match text.trim() {
            "" => Ok(None),
            text => parse_amount(text, currency)
                .map(Some)
                .map_err(|e| ServiceError::Invalid(format!("{field}: {e}"))),
        }
    };
    let status = match query.status.trim() {
        "" => None,
        text => Some(
            RecoveryStatus::parse(text)
                .map_err(|_| ServiceError::Invalid("Choose a status from the list.".into()))?,
        ),
    };
    let sort = match query.sort.trim() {
        "" => ReviewSort::Newest,
        text => ReviewSort::parse(text)
            .ok_or_else(|| ServiceError::Invalid("Choose an order from the list.".into()))?,
    };
    let text = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    let filter = RecoveryFilter {
        from: Some(from),
        to: Some(to),
        location_id,
        within_locations: scope,
        team_id: id(&query.team, "team")?,
        person_id: id(&query.person, "person")?,
        category: text(&query.category),
        touchpoint: None,
        remedy: text(&query.remedy),
        status,
        min_amount: amount(&query.min, "Smallest amount")?,
        max_amount: amount(&query.max, "Largest amount")?,
        customer_key: None,
        sort,
        limit: Some(REVIEW_LIMIT + 1),
    };
    let mut rows = store.recoveries(org, &filter).await?;
    let truncated = rows.len() as i64 > REVIEW_LIMIT;
    rows.truncate(REVIEW_LIMIT as usize);

    let taxonomy = store.taxonomy(org).await?;
    let categories = labels(&taxonomy, TaxonomyKind::Category);
    let remedies = labels(&taxonomy, TaxonomyKind::Remedy);
    let touchpoints = labels(&taxonomy, TaxonomyKind::Touchpoint);
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let location = locations
            .iter()
            .find(|l| l.id == row.location_id)
            .ok_or_else(|| ServiceError::Internal(format!("recovery {}: no location", row.id)))?;
        let zone = location.time_zone;
        let currency = row.currency;
        let money = |minor| format_with_code(minor, currency);
        let status = row.status();
        let mut history = Vec::new();
        if let (Some(outcome), Some(by)) = (&row.outcome, &row.decided_by_name) {
            history.push(match (outcome.as_str(), &row.decision_reason) {
                ("denied", Some(reason)) => format!("Denied by {by}: {reason}"),
                _ => format!(
                    "{} by {by}: {}",
                    ResolutionKind::parse(outcome)
                        .map(|k| k.label())
                        .unwrap_or("Decided"),
                    money(row.approved_minor.unwrap_or(0))
                ),
            });
        }
        if let (Some(reason), Some(by)) = (&row.reversal_reason, &row.reversed_by_name) {
            history.push(format!("Reversed by {by}: {reason}"));
        }
        let spot_check = spot_verdict(&row).map(|verdict| match row.spot_note.as_deref() {
            Some(note) if !note.is_empty() => format!("{verdict}: {note}"),
            _ => verdict,
        });
        out.push(ReviewRow {
            recovery_id: row.id,
            person: row.person_name.clone(),
            location: location.name.clone(),
            when: row
                .occurred_at
                .with_timezone(&zone)
                .format("%a %d %b %H:%M")
                .to_string(),
            category: label_of(&categories, &row.category),
            remedy: label_of(&remedies, &row.remedy),
            description: row.description.clone(),
            touchpoint: label_of(&touchpoints, &row.touchpoint),
            reaction: row.reaction.clone(),
            customer_ref: row.customer_ref.clone(),
            amount: money(row.amount_minor),
            covered: money(row.posted_minor()),
            status: status.as_str().to_string(),
            status_label: status.label().to_string(),
            history,
            spot_check,
            reversible: row.person_id != actor.person_id && check_reversible(status).is_ok(),
            reversal_key: crate::auth::session::new_token()[..32].to_string(),
        });
    }

    let people = store.people(org).await?;
    let teams = store.teams(org).await?;
    let in_scope = |location_id: i64| locations.iter().any(|l| l.id == location_id);
    let options = ReviewOptions {
        locations: locations
            .iter()
            .map(|l| Choice {
                code: l.id.to_string(),
                label: l.name.clone(),
            })
            .collect(),
        teams: teams
            .iter()
            .filter(|t| in_scope(t.location_id))
            .map(|t| Choice {
                code: t.id.to_string(),
                label: t.name.clone(),
            })
            .collect(),
        people: people
            .iter()
            .filter(|p| in_scope(p.location_id))
            .map(|p| Choice {
                code: p.id.to_string(),
                label: p.display_name.clone(),
            })
            .collect(),
        categories,
        remedies,
        statuses: RecoveryStatus::ALL
            .iter()
            .map(|s| Choice {
                code: s.as_str().to_string(),
                label: s.label().to_string(),
            })
            .collect(),
        sorts: ReviewSort::ALL
            .iter()
            .map(|s| Choice {
                code: s.as_str().to_string(),
                label: s.label().to_string(),
            })
            .collect(),
    };
    Ok(ReviewPage {
        query: ReviewQuery {
            from: from.to_string(),
            to: to.to_string(),
            sort: sort.as_str().to_string(),
            ..query
        },
        options,
        rows: out,
        truncated,
    })
}

/// Reverses a posted or decided recovery with a reason (the ledger's use case,
/// [`crate::ledger::reverse`], checks the scope and audits it) and says what went back into
/// whose budget.
#[tracing::instrument(name = "console::reverse", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn reverse(
    store: &Store,
    events: &LedgerEvents,
    actor: &Actor,
    now: DateTime<Utc>,
    recovery_id: i64,
    reason: &str,
    idempotency_key: &str,
) -> Result<String, ServiceError> {
    let (receipt, row, currency) = crate::ledger::reverse(
        store,
        events,
        actor,
        recovery_id,
        reason,
        idempotency_key,
        now,
    )
    .await?;
    let returned = format_with_code(
        receipt
            .reversed_covered_minor
            .saturating_add(receipt.reversed_approved_minor),
        currency,
    );
    Ok(format!(
        "Reversed {}'s recovery: {returned} back in the budget of {}.",
        row.person_name,
        row.budget_date.format("%a %d %b")
    ))
}

/// Today's sample of within-budget recoveries from the last seven days, for a quick
/// "looks right / needs a talk" check. Supervisors, in the locations they supervise; never
/// their own recoveries.
#[tracing::instrument(name = "console::sample", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn sample(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<SampleView, ServiceError> {
    let (scope, locations) = locations_for(store, actor, Role::Supervisor).await?;
    let org = actor.organisation_id;
    let today = crate::scope::today(store, actor, now).await?;
    let (from, to) = sample_window(today);
    let candidates = store
        .sample_candidates(org, scope.as_deref(), from, to, actor.person_id)
        .await?;
    let chosen = daily_sample(&candidates, org, today, SAMPLE_SIZE);
    let taxonomy = store.taxonomy(org).await?;
    let categories = labels(&taxonomy, TaxonomyKind::Category);
    let remedies = labels(&taxonomy, TaxonomyKind::Remedy);
    let mut items = Vec::with_capacity(chosen.len());
    for id in chosen {
        let row = store.recovery(org, id).await?;
        let location = locations
            .iter()
            .find(|l| l.id == row.location_id)
            .ok_or_else(|| ServiceError::Internal(format!("recovery {}: no location", row.id)))?;
        let zone = location.time_zone;
        let currency = row.currency;
        items.push(SampleItem {
            recovery_id: row.id,
            person: row.person_name.clone(),
            location: location.name.clone(),
            when: row
                .occurred_at
                .with_timezone(&zone)
                .format("%a %d %b %H:%M")
                .to_string(),
            what: match row.description.as_str() {
                "" => label_of(&categories, &row.category),
                text => format!("{} — {text}", label_of(&categories, &row.category)),
            },
            done: label_of(&remedies, &row.remedy),
            amount: format_with_code(row.amount_minor, currency),
            reaction: row.reaction.clone(),
            verdict: spot_verdict(&row),
            note: row.spot_note.clone().filter(|n| !n.is_empty()),
        });
    }
    Ok(SampleView {
        window: format!(
            "Recoveries within budget from {} to {}",
            from.format("%a %d %b"),
            to.format("%a %d %b")
        ),
        items,
    })
}

/// The decisions and reversals the actor made in the last 30 days, newest first, with
/// times at their home location. Anyone with a role (staff or above).
#[tracing::instrument(name = "console::my_actions", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn my_actions(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<ActionView>, ServiceError> {
    actor.require(Role::Staff)?;
    let (_, zone, _) = crate::scope::home(store, actor).await?;
    let since = now - Duration::days(30);
    Ok(store
        .actions_by(actor.organisation_id, actor.person_id, since)
        .await?
        .into_iter()
        .map(|a| ActionView {
            at: a
                .at
                .with_timezone(&zone)
                .format("%a %d %b %H:%M")
                .to_string(),
            action: match a.action.as_str() {
                "reversed" => "Reversed".to_string(),
                other => ResolutionKind::parse(other)
                    .map(|k| k.label().to_string())
                    .unwrap_or_else(|_| other.to_string()),
            },
            person: a.person_name,
            amount: format_with_code(a.amount_minor, a.currency),
            reason: a.reason,
        })
        .collect())
}

/// The budgets of the people and teams in the actor's locations: today's allowance, their
/// own policy and running boosts. Supervisors, in the locations they supervise.
#[tracing::instrument(name = "console::budgets", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn budgets(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<BudgetsView, ServiceError> {
    let (_, locations) = locations_for(store, actor, Role::Supervisor).await?;
    let org = actor.organisation_id;
    let today = crate::scope::today(store, actor, now).await?;
    let allowances = Allowances::load(store, org, today).await?;
    let (policies, boosts) = (allowances.policies(), allowances.boosts());
    let located = |location_id: i64| locations.iter().find(|l| l.id == location_id);
    let describe = |scope: &PolicyScope, currency| {
        let own = policies.iter().find(|p| &p.scope == scope).map(|p| {
            let daily = format!("{} a day", format_with_code(p.daily_allowance, currency));
            match p.per_recovery_cap {
                Some(cap) => format!(
                    "{daily}, at most {} a recovery",
                    format_with_code(cap, currency)
                ),
                None => daily,
            }
        });
        let running = boosts
            .iter()
            .filter(|b| &b.scope == scope)
            .map(|b| {
                format!(
                    "+{} a day, {} – {}",
                    format_with_code(b.extra_per_day, currency),
                    b.from.format("%d %b"),
                    b.to.format("%d %b")
                )
            })
            .collect();
        (own, running)
    };
    let mut people = Vec::new();
    for person in store.people(org).await? {
        let Some(location) = located(person.location_id).filter(|_| person.active) else {
            continue;
        };
        let currency = location.currency;
        let allowance = allowances.on(person.id, person.team_id, today);
        let (own_policy, boosts) = describe(&PolicyScope::Person(person.id), currency);
        people.push(BudgetLine {
            scope: format!("person:{}", person.id),
            name: person.display_name,
            location: location.name.clone(),
            today: format_with_code(allowance.daily, currency),
            own_policy,
            boosts,
        });
    }
    let mut teams = Vec::new();
    for team in store.teams(org).await? {
        let Some(location) = located(team.location_id) else {
            continue;
        };
        let currency = location.currency;
        let (own_policy, boosts) = describe(&PolicyScope::Team(team.id), currency);
        teams.push(BudgetLine {
            scope: format!("team:{}", team.id),
            name: team.name,
            location: location.name.clone(),
            today: String::new(),
            own_policy,
            boosts,
        });
    }
    Ok(BudgetsView {
        today: today.format("%a %d %b %Y").to_string(),
        people,
        teams,
    })
}
