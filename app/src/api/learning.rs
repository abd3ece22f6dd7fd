//! The improvement queue: recurring-cause signals, improvement items ranked by priority, and
//! each item's figures (computed from the ledger), workflow, comments and history.
//! Supervisors and above read the queue of their locations (and the organisation-wide
//! items); managers (process owners) create, change and verify items.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{error::ApiError, recoveries::Choice};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemSummary {
    pub id: i64,
    pub title: String,
    /// The location's name, or "All locations".
    pub place: String,
    pub status: String,
    pub status_label: String,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub occurrences: u32,
    /// Cost of failure: the linked recoveries' amounts, per currency and never added across
    /// currencies ("1240.00 EUR + 310.00 GBP").
    pub cost: String,
    pub severity: String,
    pub priority: i64,
    /// After "done": "2.00 → 0.50 a week (−75 %)".
    pub effect: Option<String>,
    pub from_signal: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalView {
    pub place: String,
    pub cause: String,
    pub occurrences: i64,
    pub threshold: u32,
    /// Per currency, as [`ItemSummary::cost`].
    pub cost: String,
    pub first_seen: String,
    pub last_seen: String,
    /// Against the window before: new, rising, steady or falling.
    pub trend: String,
    pub previous: i64,
    pub severity_mix: String,
    pub reactions: String,
    /// The open item tracking it, if any.
    pub item_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub items: Vec<ItemSummary>,
    pub signals: Vec<SignalView>,
    pub window_days: u32,
    pub locations: Vec<Choice>,
    pub owners: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub touchpoints: Vec<Choice>,
    pub can_edit: bool,
    pub is_admin: bool,
    pub thresholds: (u32, u32, u32),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectView {
    pub window_days: u32,
    pub before: u32,
    pub after: u32,
    pub after_days: u32,
    pub before_per_week: String,
    pub after_per_week: String,
    pub change: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDetail {
    pub summary: ItemSummary,
    pub problem: String,
    pub countermeasure: String,
    pub declined_reason: Option<String>,
    pub done_on: Option<String>,
    pub due_on: String,
    pub owner_id: Option<i64>,
    pub effect: Option<EffectView>,
    /// Where it may go next: (status slug, button words).
    pub next: Vec<Choice>,
    pub history: Vec<String>,
    pub recoveries: Vec<String>,
    /// The caller sees some locations only: the figures, effect and recoveries above count
    /// the recoveries at those locations alone.
    pub within_own_locations: bool,
    pub people: Vec<Choice>,
    pub can_edit: bool,
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use std::collections::HashMap;

    use chrono::NaiveDate;

    use super::*;
    use crate::{
        api::caller::Caller,
        domain::{
            budget_day::{local_date, parse_time_zone},
            learning::{effect, Figures, ItemStatus, Occurrence, Thresholds},
            money::Currency,
            org::Role,
            recovery::{Reaction, Severity},
        },
        store::{
            learning::{ItemRow, LinkedRecovery},
            organisations::Location,
            Store,
        },
    };

    /// May the caller see this item? Items of their locations and organisation-wide ones.
    pub fn visible(caller: &Caller, location_id: Option<i64>) -> bool {
        match (caller.scope_of(Role::Supervisor), location_id) {
            (None, _) | (_, None) => true,
            (Some(ids), Some(id)) => ids.contains(&id),
        }
    }

    /// The locations whose recoveries the caller reads inside the learning loop (where they
    /// are a supervisor or more); None = every location.
    pub fn read_scope(caller: &Caller) -> Option<Vec<i64>> {
        caller.scope_of(Role::Supervisor)
    }

    /// The locations whose recoveries the caller may link to items or create items with
    /// (where they are a manager); None = every location.
    pub fn link_scope(caller: &Caller) -> Option<Vec<i64>> {
        caller.scope_of(Role::Manager)
    }

    /// People holding Manager (or higher) organisation-wide or at one of `locations` (None =
    /// any location): the owners a viewer is offered.
    pub fn managers_within(
        grants: &[(i64, Role, Option<i64>)],
        locations: Option<&[i64]>,
    ) -> Vec<i64> {
        grants
            .iter()
            .filter(|(_, role, at)| {
                *role >= Role::Manager
                    && match (locations, at) {
                        (None, _) | (_, None) => true,
                        (Some(ids), Some(id)) => ids.contains(id),
                    }
            })
            .map(|(person, _, _)| *person)
            .collect()
    }

    /// May the caller change this item? A manager of its location; for an organisation-wide
    /// item, a manager for the whole organisation.
    pub fn editable(caller: &Caller, location_id: Option<i64>) -> bool {
        match location_id {
            Some(id) => caller.require_at(Role::Manager, id).is_ok(),
            None => caller.has(Role::Manager) && caller.scope_of(Role::Manager).is_none(),
        }
    }

    pub fn occurrence(r: &LinkedRecovery) -> Occurrence {
        Occurrence {
            date: r.budget_date,
            amount_minor: r.amount_minor,
            severity: Severity::parse(&r.severity).unwrap_or(Severity::Medium),
            reaction: Reaction::parse(&r.reaction).unwrap_or(Reaction::Neutral),
        }
    }

    pub fn place(locations: &[Location], location_id: Option<i64>) -> String {
        location_id
            .and_then(|id| locations.iter().find(|l| l.id == id))
            .map_or_else(|| "All locations".to_string(), |l| l.name.clone())
    }

    /// An item's own currency — its location's, else the organisation's: the currency its
    /// priority ranks by, and the one "nothing spent" is written in.
    pub fn currency_of(
        locations: &[Location],
        location_id: Option<i64>,
        organisation: Currency,
    ) -> Currency {
        location_id
            .and_then(|id| locations.iter().find(|l| l.id == id))
            .and_then(|l| Currency::parse(&l.currency).ok())
            .unwrap_or(organisation)
    }

    pub fn per_week(x100: i64) -> String {
        format!("{}.{:02}", x100 / 100, x100 % 100)
    }

    pub fn today(
        locations: &[Location],
        location_id: Option<i64>,
        zone: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> NaiveDate {
        let zone = location_id
            .and_then(|id| locations.iter().find(|l| l.id == id))
            .map_or(zone, |l| l.time_zone.as_str());
        parse_time_zone(zone).map_or(now.date_naive(), |z| local_date(now, z))
    }

    /// The recurrence dates an item's effect is measured on: every recovery of its cause
    /// (linked or not) in the windows around the done date; for an item without a cause,
    /// its linked recoveries. Only recoveries within the viewer's `scope` count.
    pub async fn effect_of(
        store: &Store,
        organisation_id: i64,
        item: &ItemRow,
        links: &[&LinkedRecovery],
        thresholds: &Thresholds,
        today: NaiveDate,
        scope: Option<&[i64]>,
    ) -> Result<Option<EffectView>, ApiError> {
        let Some(done_on) = item.done_on else {
            return Ok(None);
        };
        let window = i64::from(thresholds.window_days);
        let dates: Vec<NaiveDate> = match (&item.category, &item.touchpoint) {
            (Some(category), Some(touchpoint)) => store
                .cause_recoveries_within(
                    organisation_id,
                    item.location_id,
                    category,
                    touchpoint,
                    done_on - chrono::Duration::days(window),
                    done_on + chrono::Duration::days(window - 1),
                    scope,
                )
                .await?
                .into_iter()
                .map(|r| r.budget_date)
                .collect(),
            _ => links.iter().map(|l| l.budget_date).collect(),
        };
        let e = effect(&dates, done_on, thresholds.window_days, today);
        Ok(Some(EffectView {
            window_days: thresholds.window_days,
            before: e.before,
            after: e.after,
            after_days: e.after_days,
            before_per_week: per_week(e.before_per_week_x100),
            after_per_week: per_week(e.after_per_week_x100),
            change: e.change_percent.map_or_else(
                || "no recurrences before".to_string(),
                |p| format!("{p:+} %"),
            ),
        }))
    }

    pub struct Context {
        pub locations: Vec<Location>,
        pub currency: Currency,
        pub zone: String,
        pub thresholds: Thresholds,
        /// The linked recoveries the viewer may see (read within `scope` by the store).
        pub links: Vec<LinkedRecovery>,
        /// The locations whose recoveries the viewer sees; None = every location.
        pub scope: Option<Vec<i64>>,
    }

    /// The context for a viewer who sees every location (the monthly summary).
    pub async fn context(
        store: &Store,
        organisation_id: i64,
        item: Option<i64>,
    ) -> Result<Context, ApiError> {
        context_for(store, organisation_id, item, None).await
    }

    /// The context for a viewer who sees the recoveries of `scope` only (None = every
    /// location): the store leaves the others out of the links in the query itself.
    pub async fn context_for(
        store: &Store,
        organisation_id: i64,
        item: Option<i64>,
        scope: Option<Vec<i64>>,
    ) -> Result<Context, ApiError> {
        let organisation = store.organisation(organisation_id).await?;
        let links = store
            .linked_recoveries_within(organisation_id, item, scope.as_deref())
            .await?;
        Ok(Context {
            locations: store.locations(organisation_id).await?,
            currency: Currency::parse(&organisation.currency).map_err(|_| ApiError::Internal)?,
            zone: organisation.time_zone,
            thresholds: store.learning_thresholds(organisation_id).await?,
            links,
            scope,
        })
    }

    /// A stored currency code; one the product no longer knows is shown in `fallback`.
    pub fn currency_or(code: &str, fallback: Currency) -> Currency {
        Currency::parse(code).unwrap_or(fallback)
    }

    pub async fn summary(
        store: &Store,
        organisation_id: i64,
        item: &ItemRow,
        cx: &Context,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(ItemSummary, Option<EffectView>), ApiError> {
        let links: Vec<&LinkedRecovery> =
            cx.links.iter().filter(|l| l.item_id == item.id).collect();
        let currency = currency_of(&cx.locations, item.location_id, cx.currency);
        // Per currency: the cost is never one currency added to another, and the priority
        // ranks by the cost in the item's own currency (docs/LEARNING.md).
        let occurrences: Vec<(Currency, Occurrence)> = links
            .iter()
            .map(|l| (currency_or(&l.currency, currency), occurrence(l)))
            .collect();
        let figures = Figures::in_currency(&occurrences, currency);
        let status = item.status()?;
        let today = today(&cx.locations, item.location_id, &cx.zone, now);
        let effect = effect_of(
            store,
            organisation_id,
            item,
            &links,
            &cx.thresholds,
            today,
            cx.scope.as_deref(),
        )
        .await?;
        Ok((
            ItemSummary {
                id: item.id,
                title: item.title.clone(),
                place: place(&cx.locations, item.location_id),
                status: status.as_str().to_string(),
                status_label: status.label().to_string(),
                owner: item.owner_name.clone(),
                due: item.due_on.map(|d| d.format("%d %b %Y").to_string()),
                occurrences: figures.occurrences,
                cost: figures.costs.format(currency),
                severity: figures
                    .typical_severity()
                    .map_or_else(|| "—".to_string(), |s| s.label().to_string()),
                priority: figures.priority(currency.exponent()),
                effect: effect.as_ref().map(|e| {
                    format!(
                        "{} → {} a week ({})",
                        e.before_per_week, e.after_per_week, e.change
                    )
                }),
                from_signal: item.from_signal,
            },
            effect,
        ))
    }

    pub fn status_choices() -> Vec<Choice> {
        ItemStatus::ALL
            .iter()
            .map(|s| Choice {
                code: s.as_str().to_string(),
                label: s.label().to_string(),
            })
            .collect()
    }

    pub fn mix(counts: &[u32; 4], labels: [&str; 4]) -> String {
        counts
            .iter()
            .zip(labels)
            .filter(|(n, _)| **n > 0)
            .map(|(n, label)| format!("{n} {label}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn by_id<T>(rows: Vec<T>, id: impl Fn(&T) -> i64) -> HashMap<i64, T> {
        rows.into_iter().map(|r| (id(&r), r)).collect()
    }
}

/// The queue, ranked by priority (highest first), filtered by location, status and owner
/// ("" = any); and the signals of the current window.
#[server(endpoint = "improvements/queue")]
pub async fn improvement_queue(
    location: String,
    status: String,
    owner: String,
) -> Result<QueueView, ApiError> {
    use crate::{
        api::recoveries::server::{label_of, labels},
        domain::{
            learning::{Costs, Figures, Trend},
            org::{Role, TaxonomyKind},
        },
    };
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    let store = &request.state.store;
    let org = caller.organisation_id;
    let scope = server::read_scope(&caller);
    let cx = server::context_for(store, org, None, scope.clone()).await?;
    let number = |text: &str, what: &str| -> Result<Option<i64>, ApiError> {
        match text.trim() {
            "" => Ok(None),
            t => t
                .parse()
                .map(Some)
                .map_err(|_| ApiError::Validation(format!("Choose a {what} from the list."))),
        }
    };
    let location = number(&location, "location")?;
    let owner = number(&owner, "owner")?;
    let status = match status.trim() {
        "" => None,
        t => Some(
            crate::domain::learning::ItemStatus::parse(t)
                .map_err(|e| ApiError::Validation(e.to_string()))?,
        ),
    };

    let mut items = Vec::new();
    for item in store.items(org).await? {
        if !server::visible(&caller, item.location_id)
            || location.is_some_and(|l| item.location_id != Some(l))
            || owner.is_some_and(|o| item.owner_id != Some(o))
            || status.is_some_and(|s| item.status != s.as_str())
        {
            continue;
        }
        items.push(
            server::summary(store, org, &item, &cx, request.now)
                .await?
                .0,
        );
    }
    items.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));

    // Signals: the current window and the one before it, for the trend.
    let thresholds = cx.thresholds;
    let today = server::today(&cx.locations, None, &cx.zone, request.now);
    let from = thresholds.window_start(today);
    let previous_to = from - chrono::Duration::days(1);
    let previous_from = thresholds.window_start(previous_to);
    let previous = store.signal_groups(org, previous_from, previous_to).await?;
    let taxonomy = store.taxonomy(org).await?;
    let categories = labels(&taxonomy, TaxonomyKind::Category);
    let touchpoints = labels(&taxonomy, TaxonomyKind::Touchpoint);
    let costs = store.signal_costs(org, from, today).await?;
    let mut signals = Vec::new();
    for group in store.signal_groups(org, from, today).await? {
        // An organisation-wide signal counts every location: only those who read every
        // location see it (an organisation-wide item stays visible, with figures of the
        // reader's own locations).
        let wide_for_scoped = group.location_id.is_none()
            && caller
                .scope_of(crate::domain::org::Role::Supervisor)
                .is_some();
        if wide_for_scoped || !server::visible(&caller, group.location_id) || group.occurrences < 2
        {
            continue;
        }
        let recoveries = store
            .cause_recoveries(
                org,
                group.location_id,
                &group.category,
                &group.touchpoint,
                from,
                today,
            )
            .await?;
        let currency = server::currency_of(&cx.locations, group.location_id, cx.currency);
        let figures = Figures::in_currency(
            &recoveries
                .iter()
                .map(|r| {
                    (
                        server::currency_or(&r.currency, currency),
                        crate::domain::learning::Occurrence {
                            date: r.budget_date,
                            amount_minor: r.amount_minor,
                            severity: crate::domain::recovery::Severity::parse(&r.severity)
                                .unwrap_or(crate::domain::recovery::Severity::Medium),
                            reaction: crate::domain::recovery::Reaction::parse(&r.reaction)
                                .unwrap_or(crate::domain::recovery::Reaction::Neutral),
                        },
                    )
                })
                .collect::<Vec<_>>(),
            currency,
        );
        // The cost per currency, as the database summed it (without overflow).
        let mut cost = Costs::default();
        for c in costs.iter().filter(|c| {
            c.location_id == group.location_id
                && c.category == group.category
                && c.touchpoint == group.touchpoint
        }) {
            cost.add_total(server::currency_or(&c.currency, currency), c.cost);
        }
        let before = previous
            .iter()
            .find(|p| {
                p.location_id == group.location_id
                    && p.category == group.category
                    && p.touchpoint == group.touchpoint
            })
            .map_or(0, |p| p.occurrences);
        let key = crate::store::learning::signal_key(
            group.location_id,
            &group.category,
            &group.touchpoint,
        );
        signals.push(SignalView {
            place: server::place(&cx.locations, group.location_id),
            cause: format!(
                "{} at {}",
                label_of(&categories, &group.category),
                label_of(&touchpoints, &group.touchpoint)
            ),
            occurrences: group.occurrences,
            threshold: if group.location_id.is_some() {
                thresholds.location_occurrences
            } else {
                thresholds.organisation_occurrences
            },
            cost: cost.format(currency),
            first_seen: group.first_seen.format("%d %b").to_string(),
            last_seen: group.last_seen.format("%d %b").to_string(),
            trend: Trend::of(
                u32::try_from(group.occurrences).unwrap_or(u32::MAX),
                u32::try_from(before).unwrap_or(u32::MAX),
            )
            .label()
            .to_string(),
            previous: before,
            severity_mix: server::mix(&figures.severity_mix, ["low", "medium", "high", "critical"]),
            reactions: server::mix(
                &figures.reactions,
                ["delighted", "satisfied", "neutral", "still unhappy"],
            ),
            item_id: store.open_item_for(org, &key).await?,
        });
        if signals.len() >= 30 {
            break;
        }
    }

    let people = store.people(org).await?;
    let managers = server::managers_within(&store.role_grants(org).await?, scope.as_deref());
    Ok(QueueView {
        items,
        signals,
        window_days: thresholds.window_days,
        locations: cx
            .locations
            .iter()
            .filter(|l| server::visible(&caller, Some(l.id)))
            .map(|l| Choice {
                code: l.id.to_string(),
                label: l.name.clone(),
            })
            .collect(),
        owners: people
            .iter()
            .filter(|p| p.active && managers.contains(&p.id))
            .map(|p| Choice {
                code: p.id.to_string(),
                label: p.display_name.clone(),
            })
            .collect(),
        statuses: server::status_choices(),
        categories,
        touchpoints,
        can_edit: caller.has(Role::Manager),
        is_admin: caller.has(Role::Admin),
        thresholds: (
            thresholds.window_days,
            thresholds.location_occurrences,
            thresholds.organisation_occurrences,
        ),
    })
}

/// One item with its figures, effect, workflow and history.
#[server(endpoint = "improvements/item")]
pub async fn improvement_item(id: i64) -> Result<ItemDetail, ApiError> {
    use crate::domain::learning::{ItemStatus, Total};
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    let store = &request.state.store;
    let org = caller.organisation_id;
    let item = store.item(org, id).await?;
    if !server::visible(&caller, item.location_id) {
        return Err(ApiError::NotFound("improvement item".into()));
    }
    // Only the linked recoveries of the caller's locations leave the database: an item (an
    // organisation-wide one, or one linked by hand) never shows another location's people,
    // dates or amounts.
    let scope = server::read_scope(&caller);
    let within_own_locations = scope.is_some();
    let cx = server::context_for(store, org, Some(id), scope).await?;
    let (summary, effect) = server::summary(store, org, &item, &cx, request.now).await?;
    let status = item.status()?;
    let verb = |s: ItemStatus| match s {
        ItemStatus::Accepted => "Accept",
        ItemStatus::InProgress if status == ItemStatus::Done => "Reopen: it did not work",
        ItemStatus::InProgress => "Start work",
        ItemStatus::Done => "Mark done",
        ItemStatus::Verified => "Verify: the fix worked",
        ItemStatus::Declined => "Decline",
        ItemStatus::Proposed => "Propose",
    };
    let history = store
        .item_events(org, id)
        .await?
        .into_iter()
        .map(|e| {
            format!(
                "{} · {} · {}",
                e.at.format("%d %b %Y %H:%M"),
                e.actor_name.unwrap_or_else(|| "Signal".into()),
                e.detail
            )
        })
        .collect();
    let people = store.people(org).await?;
    let names = server::by_id(people.clone(), |p| p.id);
    let recoveries = cx
        .links
        .iter()
        .rev()
        .take(50)
        .map(|l| {
            format!(
                "{} · {} · {} · {}",
                l.budget_date.format("%a %d %b %Y"),
                names
                    .get(&l.person_id)
                    .map_or("", |p| p.display_name.as_str()),
                Total::of(l.amount_minor).format(server::currency_or(&l.currency, cx.currency)),
                l.severity
            )
        })
        .collect();
    let can_edit = server::editable(&caller, item.location_id);
    // The owners offered: managers of the item's location or of the whole organisation, and
    // only to someone who may change the item.
    let managers = if can_edit {
        let at: Vec<i64> = item.location_id.into_iter().collect();
        server::managers_within(
            &store.role_grants(org).await?,
            item.location_id.map(|_| at.as_slice()),
        )
    } else {
        Vec::new()
    };
    Ok(ItemDetail {
        summary,
        problem: item.problem.clone(),
        countermeasure: item.countermeasure.clone(),
        declined_reason: item.declined_reason.clone(),
        done_on: item.done_on.map(|d| d.format("%d %b %Y").to_string()),
        due_on: item.due_on.map(|d| d.to_string()).unwrap_or_default(),
        owner_id: item.owner_id,
        effect,
        next: status
            .next()
            .iter()
            .map(|s| Choice {
                code: s.as_str().to_string(),
                label: verb(*s).to_string(),
            })
            .collect(),
        history,
        recoveries,
        within_own_locations,
        people: people
            .iter()
            .filter(|p| p.active && managers.contains(&p.id))
            .map(|p| Choice {
                code: p.id.to_string(),
                label: p.display_name.clone(),
            })
            .collect(),
        can_edit,
    })
}

/// Open items whose titles resemble `title` (shown while a manager types a new one).
#[server(endpoint = "improvements/similar")]
pub async fn similar_items(title: String) -> Result<Vec<Choice>, ApiError> {
    use crate::domain::learning::{similarity, ItemStatus};
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Manager).await?;
    if title.trim().chars().count() < 3 {
        return Ok(Vec::new());
    }
    let mut similar: Vec<(u32, Choice)> = request
        .state
        .store
        .items(caller.organisation_id)
        .await?
        .into_iter()
        .filter(|i| {
            server::visible(&caller, i.location_id)
                && ItemStatus::parse(&i.status).is_ok_and(|s| s.is_open())
        })
        .filter_map(|i| {
            let score = similarity(&title, &i.title);
            (score >= 50).then(|| {
                (
                    score,
                    Choice {
                        code: i.id.to_string(),
                        label: i.title,
                    },
                )
            })
        })
        .collect();
    similar.sort_by_key(|b| std::cmp::Reverse(b.0));
    Ok(similar.into_iter().take(5).map(|(_, c)| c).collect())
}

/// A manager's own item: a title, a problem statement, optionally the cause it tracks (a
/// category at a touchpoint, at a location or everywhere) and recoveries to link ("12, 15").
#[server(endpoint = "improvements/create")]
pub async fn create_improvement(
    title: String,
    problem: String,
    location_id: String,
    category: String,
    touchpoint: String,
    recovery_ids: String,
) -> Result<i64, ApiError> {
    use crate::{
        domain::{learning, org::TaxonomyKind},
        store::learning::NewItem,
    };
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Manager).await?;
    let store = &request.state.store;
    let org = caller.organisation_id;
    let title = learning::title(&title).map_err(|e| ApiError::Validation(e.to_string()))?;
    let problem = learning::text(&problem).map_err(|e| ApiError::Validation(e.to_string()))?;
    let location_id = match location_id.trim() {
        "" => None,
        t => Some(
            t.parse::<i64>()
                .map_err(|_| ApiError::Validation("Choose a location from the list.".into()))?,
        ),
    };
    if !server::editable(&caller, location_id) {
        return Err(match location_id {
            Some(_) => ApiError::Forbidden,
            None => ApiError::Validation(
                "Choose a location: an item for every location needs an organisation-wide manager."
                    .into(),
            ),
        });
    }
    if let Some(id) = location_id {
        if !store.locations(org).await?.iter().any(|l| l.id == id) {
            return Err(ApiError::NotFound("location".into()));
        }
    }
    let code = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
    let (category, touchpoint) = (code(&category), code(&touchpoint));
    if category.is_some() != touchpoint.is_some() {
        return Err(ApiError::Validation(
            "A cause is a category at a touchpoint: choose both, or neither.".into(),
        ));
    }
    if let (Some(c), Some(t)) = (&category, &touchpoint) {
        let categories = store.taxonomy_codes(org, TaxonomyKind::Category).await?;
        let touchpoints = store.taxonomy_codes(org, TaxonomyKind::Touchpoint).await?;
        if !categories.contains(c) || !touchpoints.contains(t) {
            return Err(ApiError::Validation(
                "Choose the category and touchpoint from the lists.".into(),
            ));
        }
    }
    let ids = parse_ids(&recovery_ids)?;
    let scope = server::link_scope(&caller);
    let item = NewItem {
        organisation_id: org,
        location_id,
        category,
        touchpoint,
        from_signal: false,
        title,
        problem,
        created_by: Some(caller.person_id),
    };
    // Every recovery must be at a location where the caller is a manager (any, for an
    // organisation-wide manager): otherwise "recovery not found" and nothing is created.
    let id = store
        .create_item_within(&item, &ids, scope.as_deref(), request.now)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Duplicate(_) => ApiError::Conflict(
                "An open item already tracks this cause; add to it instead.".into(),
            ),
            other => other.into(),
        })?;
    Ok(id)
}

#[cfg(feature = "ssr")]
fn parse_ids(text: &str) -> Result<Vec<i64>, ApiError> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.trim_start_matches('#').parse::<i64>().map_err(|_| {
                ApiError::Validation(format!(
                    "Recoveries to link: \"{t}\" is not a recovery number; separate numbers with commas."
                ))
            })
        })
        .collect()
}

/// Loads an item the caller may change.
#[cfg(feature = "ssr")]
async fn editable_item(
    request: &crate::api::caller::Request,
    caller: &crate::api::caller::Caller,
    id: i64,
) -> Result<crate::store::learning::ItemRow, ApiError> {
    let item = request.state.store.item(caller.organisation_id, id).await?;
    if !server::visible(caller, item.location_id) {
        return Err(ApiError::NotFound("improvement item".into()));
    }
    if !server::editable(caller, item.location_id) {
        return Err(ApiError::Forbidden);
    }
    Ok(item)
}

/// Moves an item along its workflow: `from` is the status the page showed (a change made
/// meanwhile by someone else is refused); declining needs a reason.
#[server(endpoint = "improvements/move")]
pub async fn move_improvement(
    id: i64,
    from: String,
    to: String,
    reason: String,
) -> Result<(), ApiError> {
    use crate::{
        domain::learning::{transition, ItemStatus},
        store::learning::ItemChange,
    };
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Manager).await?;
    let item = editable_item(&request, &caller, id).await?;
    let parse = |t: &str| ItemStatus::parse(t).map_err(|e| ApiError::Validation(e.to_string()));
    let (from, to) = (parse(&from)?, parse(&to)?);
    if item.status()? != from {
        return Err(ApiError::Conflict(format!(
            "This item is {} now; reload to see who changed it.",
            item.status()?.label()
        )));
    }
    let reason = transition(from, to, &reason).map_err(|e| ApiError::Validation(e.to_string()))?;
    let locations = request
        .state
        .store
        .locations(caller.organisation_id)
        .await?;
    let organisation = request
        .state
        .store
        .organisation(caller.organisation_id)
        .await?;
    let today = server::today(
        &locations,
        item.location_id,
        &organisation.time_zone,
        request.now,
    );
    request
        .state
        .store
        .change_item(
            caller.organisation_id,
            id,
            &ItemChange::Status {
                from,
                to,
                reason,
                on: (to == ItemStatus::Done).then_some(today),
            },
            caller.person_id,
            request.now,
        )
        .await?;
    Ok(())
}

/// Changes an item's owner, due date, countermeasure or problem statement; only what differs
/// is changed (and recorded in its history).
#[server(endpoint = "improvements/edit")]
pub async fn edit_improvement(
    id: i64,
    owner_id: String,
    due_on: String,
    countermeasure: String,
    problem: String,
) -> Result<(), ApiError> {
    use crate::{domain::learning, store::learning::ItemChange};
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Manager).await?;
    let item = editable_item(&request, &caller, id).await?;
    let owner = match owner_id.trim() {
        "" => None,
        t => Some(
            t.parse::<i64>()
                .map_err(|_| ApiError::Validation("Choose an owner from the list.".into()))?,
        ),
    };
    let due = match due_on.trim() {
        "" => None,
        t => Some(
            chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
                ApiError::Validation("Due date: use a date like 2026-12-15.".into())
            })?,
        ),
    };
    let countermeasure =
        learning::text(&countermeasure).map_err(|e| ApiError::Validation(e.to_string()))?;
    let problem = learning::text(&problem).map_err(|e| ApiError::Validation(e.to_string()))?;
    let mut changes = Vec::new();
    if owner != item.owner_id {
        changes.push(ItemChange::Owner(owner));
    }
    if due != item.due_on {
        changes.push(ItemChange::Due(due));
    }
    if countermeasure != item.countermeasure {
        changes.push(ItemChange::Countermeasure(countermeasure));
    }
    if problem != item.problem {
        changes.push(ItemChange::Problem(problem));
    }
    for change in changes {
        request
            .state
            .store
            .change_item(
                caller.organisation_id,
                id,
                &change,
                caller.person_id,
                request.now,
            )
            .await?;
    }
    Ok(())
}

/// Adds a comment to an item's history (supervisors of its location and above).
#[server(endpoint = "improvements/comment")]
pub async fn comment_improvement(id: i64, text: String) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    let item = request.state.store.item(caller.organisation_id, id).await?;
    if !server::visible(&caller, item.location_id) {
        return Err(ApiError::NotFound("improvement item".into()));
    }
    let text =
        crate::domain::learning::text(&text).map_err(|e| ApiError::Validation(e.to_string()))?;
    if text.is_empty() {
        return Err(ApiError::Validation("Write the comment first.".into()));
    }
    request
        .state
        .store
        .item_event(
            caller.organisation_id,
            id,
            Some(caller.person_id),
            "comment",
            &text,
            request.now,
        )
        .await?;
    Ok(())
}

/// Links recoveries ("12, 15, 31") to an item by hand: only recoveries at locations where the
/// caller is a manager (any, for an organisation-wide manager). Any other id answers
/// "recovery not found" and nothing is linked.
#[server(endpoint = "improvements/link")]
pub async fn link_to_improvement(id: i64, recovery_ids: String) -> Result<u64, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Manager).await?;
    editable_item(&request, &caller, id).await?;
    let ids = parse_ids(&recovery_ids)?;
    if ids.is_empty() {
        return Err(ApiError::Validation(
            "Give the numbers of the recoveries to link.".into(),
        ));
    }
    let scope = server::link_scope(&caller);
    Ok(request
        .state
        .store
        .link_recoveries_within(
            caller.organisation_id,
            id,
            &ids,
            Some(caller.person_id),
            scope.as_deref(),
            request.now,
        )
        .await?)
}

/// Sets when recurring recoveries become a signal (admins): the window in days and the
/// thresholds per location and across the organisation. Existing history is re-checked.
#[server(endpoint = "improvements/thresholds")]
pub async fn set_thresholds(
    window_days: u32,
    location_occurrences: u32,
    organisation_occurrences: u32,
) -> Result<(), ApiError> {
    use crate::domain::learning::Thresholds;
    let (request, caller) =
        crate::api::caller::caller_org_wide(crate::domain::org::Role::Admin).await?;
    let thresholds = Thresholds::new(window_days, location_occurrences, organisation_occurrences)
        .map_err(|e| ApiError::Validation(e.to_string()))?;
    let store = &request.state.store;
    let before = store.learning_thresholds(caller.organisation_id).await?;
    store
        .set_learning_thresholds(caller.organisation_id, &thresholds, request.now)
        .await?;
    crate::api::admin::server::record(
        &request,
        &caller,
        "learning.set-thresholds",
        &format!("organisation:{}", caller.organisation_id),
        Some(serde_json::to_value(before).unwrap_or_default()),
        Some(serde_json::to_value(thresholds).unwrap_or_default()),
    )
    .await?;
    let organisation = store.organisation(caller.organisation_id).await?;
    let zone = crate::domain::budget_day::parse_time_zone(&organisation.time_zone)
        .map_err(|_| ApiError::Internal)?;
    let today = crate::domain::budget_day::local_date(request.now, zone);
    crate::learning::scan(store, caller.organisation_id, today, request.now).await?;
    Ok(())
}
