//! The improvement queue: recurring-cause signals, improvement items ranked by priority, and
//! each item's figures (computed from the ledger), workflow, comments and history.
//! Supervisors and above read the queue of their locations (and the organisation-wide
//! items); managers (process owners) create, change and verify items. Every recovery an
//! item shows or links is read or checked within the actor's locations in the query itself.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::{
    budget_day::local_date,
    learning::{
        effect, similarity, transition, Costs, Figures, ItemStatus, Occurrence, Thresholds, Total,
        Trend,
    },
    money::Currency,
    org::{Role, TaxonomyKind},
    recovery::{Reaction, Severity},
};
use store::{
    learning::{signal_key, ItemChange, ItemRow, LinkedRecovery, NewItem},
    organisations::Location,
    Store, StoreError,
};
use views::{
    improvements::{EffectView, ItemDetail, ItemSummary, QueueView, SignalView},
    Choice,
};

use crate::{
    audit,
    scope::{label_of, labels},
    Actor, ServiceError,
};

/// May the actor see this item? Items of their locations and organisation-wide ones.
pub fn visible(actor: &Actor, location_id: Option<i64>) -> bool {
    match (actor.access().scope_of(Role::Supervisor), location_id) {
        (None, _) | (_, None) => true,
        (Some(ids), Some(id)) => ids.contains(&id),
    }
}

/// The locations whose recoveries the actor reads inside the learning loop (where they
/// are a supervisor or more); None = every location.
pub fn read_scope(actor: &Actor) -> Option<Vec<i64>> {
    actor.access().scope_of(Role::Supervisor)
}

/// The locations whose recoveries the actor may link to items or create items with
/// (where they are a manager); None = every location.
pub fn link_scope(actor: &Actor) -> Option<Vec<i64>> {
    actor.access().scope_of(Role::Manager)
}

/// People holding Manager (or higher) organisation-wide or at one of `locations` (None =
/// any location): the owners a viewer is offered.
pub fn managers_within(grants: &[(i64, Role, Option<i64>)], locations: Option<&[i64]>) -> Vec<i64> {
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

/// May the actor change this item? A manager of its location; for an organisation-wide
/// item, a manager for the whole organisation.
pub fn editable(actor: &Actor, location_id: Option<i64>) -> bool {
    match location_id {
        Some(id) => actor.access().at(Role::Manager, id),
        None => {
            actor.access().anywhere(Role::Manager)
                && actor.access().scope_of(Role::Manager).is_none()
        }
    }
}

/// A linked recovery as the learning figures count it.
pub fn occurrence(r: &LinkedRecovery) -> Occurrence {
    Occurrence {
        date: r.budget_date,
        amount_minor: r.amount_minor,
        severity: Severity::parse(&r.severity).unwrap_or(Severity::Medium),
        reaction: Reaction::parse(&r.reaction).unwrap_or(Reaction::Neutral),
    }
}

/// The location's name, or "All locations".
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
        .map(|l| l.currency)
        .unwrap_or(organisation)
}

/// A rate in hundredths a week, written "2.00".
pub fn per_week(x100: i64) -> String {
    format!("{}.{:02}", x100 / 100, x100 % 100)
}

/// Today at the item's location (None: in the organisation's time `zone`).
pub fn today(
    locations: &[Location],
    location_id: Option<i64>,
    zone: Tz,
    now: DateTime<Utc>,
) -> NaiveDate {
    let zone = location_id
        .and_then(|id| locations.iter().find(|l| l.id == id))
        .map_or(zone, |l| l.time_zone);
    local_date(now, zone)
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
) -> Result<Option<EffectView>, ServiceError> {
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

/// What the figures of items are computed from, read once per screen.
pub struct Context {
    pub locations: Vec<Location>,
    pub currency: Currency,
    pub zone: Tz,
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
) -> Result<Context, ServiceError> {
    context_for(store, organisation_id, item, None).await
}

/// The context for a viewer who sees the recoveries of `scope` only (None = every
/// location): the store leaves the others out of the links in the query itself.
pub async fn context_for(
    store: &Store,
    organisation_id: i64,
    item: Option<i64>,
    scope: Option<Vec<i64>>,
) -> Result<Context, ServiceError> {
    let organisation = store.organisation(organisation_id).await?;
    let links = store
        .linked_recoveries_within(organisation_id, item, scope.as_deref())
        .await?;
    Ok(Context {
        locations: store.locations(organisation_id).await?,
        currency: organisation.currency,
        zone: organisation.time_zone,
        thresholds: store.learning_thresholds(organisation_id).await?,
        links,
        scope,
    })
}

/// An item's line in the queue (and the summary), with its effect once done.
pub async fn summary(
    store: &Store,
    organisation_id: i64,
    item: &ItemRow,
    cx: &Context,
    now: DateTime<Utc>,
) -> Result<(ItemSummary, Option<EffectView>), ServiceError> {
    let links: Vec<&LinkedRecovery> = cx.links.iter().filter(|l| l.item_id == item.id).collect();
    let currency = currency_of(&cx.locations, item.location_id, cx.currency);
    // Per currency: the cost is never one currency added to another, and the priority
    // ranks by the cost in the item's own currency (docs/LEARNING.md).
    let occurrences: Vec<(Currency, Occurrence)> =
        links.iter().map(|l| (l.currency, occurrence(l))).collect();
    let figures = Figures::in_currency(&occurrences, currency);
    let status = item.status()?;
    let today = today(&cx.locations, item.location_id, cx.zone, now);
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

/// Every status, as the queue's filter offers them.
pub fn status_choices() -> Vec<Choice> {
    ItemStatus::ALL
        .iter()
        .map(|s| Choice {
            code: s.as_str().to_string(),
            label: s.label().to_string(),
        })
        .collect()
}

/// "2 low, 1 high": the non-zero counts with their labels.
pub fn mix(counts: &[u32; 4], labels: [&str; 4]) -> String {
    counts
        .iter()
        .zip(labels)
        .filter(|(n, _)| **n > 0)
        .map(|(n, label)| format!("{n} {label}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows by their id.
pub fn by_id<T>(rows: Vec<T>, id: impl Fn(&T) -> i64) -> HashMap<i64, T> {
    rows.into_iter().map(|r| (id(&r), r)).collect()
}

/// The queue, ranked by priority (highest first), filtered by location, status and owner
/// ("" = any); and the signals of the current window. Supervisors and above: the items of
/// their locations and the organisation-wide ones, with figures of their locations only.
#[tracing::instrument(name = "improvements::queue", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn queue(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    location: &str,
    status: &str,
    owner: &str,
) -> Result<QueueView, ServiceError> {
    let org = actor.organisation_id;
    let scope = actor.scope(Role::Supervisor)?;
    let cx = context_for(store, org, None, scope.clone()).await?;
    let number = |text: &str, what: &str| -> Result<Option<i64>, ServiceError> {
        match text.trim() {
            "" => Ok(None),
            t => t
                .parse()
                .map(Some)
                .map_err(|_| ServiceError::Invalid(format!("Choose a {what} from the list."))),
        }
    };
    let location = number(location, "location")?;
    let owner = number(owner, "owner")?;
    let status = match status.trim() {
        "" => None,
        t => Some(ItemStatus::parse(t).map_err(|e| ServiceError::Invalid(e.to_string()))?),
    };

    let mut items = Vec::new();
    for item in store.items(org).await? {
        if !visible(actor, item.location_id)
            || location.is_some_and(|l| item.location_id != Some(l))
            || owner.is_some_and(|o| item.owner_id != Some(o))
            || status.is_some_and(|s| item.status != s.as_str())
        {
            continue;
        }
        items.push(summary(store, org, &item, &cx, now).await?.0);
    }
    items.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));

    // Signals: the current window and the one before it, for the trend.
    let thresholds = cx.thresholds;
    let today = today(&cx.locations, None, cx.zone, now);
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
        let wide_for_scoped = group.location_id.is_none() && scope.is_some();
        if wide_for_scoped || !visible(actor, group.location_id) || group.occurrences < 2 {
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
        let currency = currency_of(&cx.locations, group.location_id, cx.currency);
        let figures = Figures::in_currency(
            &recoveries
                .iter()
                .map(|r| {
                    (
                        r.currency,
                        Occurrence {
                            date: r.budget_date,
                            amount_minor: r.amount_minor,
                            severity: Severity::parse(&r.severity).unwrap_or(Severity::Medium),
                            reaction: Reaction::parse(&r.reaction).unwrap_or(Reaction::Neutral),
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
            cost.add_total(c.currency, c.cost);
        }
        let before = previous
            .iter()
            .find(|p| {
                p.location_id == group.location_id
                    && p.category == group.category
                    && p.touchpoint == group.touchpoint
            })
            .map_or(0, |p| p.occurrences);
        let key = signal_key(group.location_id, &group.category, &group.touchpoint);
        signals.push(SignalView {
            place: place(&cx.locations, group.location_id),
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
            severity_mix: mix(&figures.severity_mix, ["low", "medium", "high", "critical"]),
            reactions: mix(
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
    let managers = managers_within(&store.role_grants(org).await?, scope.as_deref());
    Ok(QueueView {
        items,
        signals,
        window_days: thresholds.window_days,
        locations: cx
            .locations
            .iter()
            .filter(|l| visible(actor, Some(l.id)))
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
        statuses: status_choices(),
        categories,
        touchpoints,
        can_edit: actor.access().anywhere(Role::Manager),
        is_admin: actor.access().anywhere(Role::Admin),
        thresholds: (
            thresholds.window_days,
            thresholds.location_occurrences,
            thresholds.organisation_occurrences,
        ),
    })
}

/// One item with its figures, effect, workflow and history (supervisors of its location and
/// above; an item of another location reads as not found).
#[tracing::instrument(name = "improvements::item", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn item(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
) -> Result<ItemDetail, ServiceError> {
    let org = actor.organisation_id;
    // Only the linked recoveries of the actor's locations leave the database: an item (an
    // organisation-wide one, or one linked by hand) never shows another location's people,
    // dates or amounts.
    let scope = actor.scope(Role::Supervisor)?;
    let item = store.item(org, id).await?;
    if !visible(actor, item.location_id) {
        return Err(ServiceError::NotFound("improvement item"));
    }
    let within_own_locations = scope.is_some();
    let cx = context_for(store, org, Some(id), scope).await?;
    let (summary, effect) = summary(store, org, &item, &cx, now).await?;
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
    let names = by_id(people.clone(), |p| p.id);
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
                Total::of(l.amount_minor).format(l.currency),
                l.severity
            )
        })
        .collect();
    let can_edit = editable(actor, item.location_id);
    // The owners offered: managers of the item's location or of the whole organisation, and
    // only to someone who may change the item.
    let managers = if can_edit {
        let at: Vec<i64> = item.location_id.into_iter().collect();
        managers_within(
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

/// Open items whose titles resemble `title` (shown while a manager types a new one); only
/// items the actor may see.
#[tracing::instrument(name = "improvements::similar", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn similar(
    store: &Store,
    actor: &Actor,
    title: &str,
) -> Result<Vec<Choice>, ServiceError> {
    actor.require(Role::Manager)?;
    if title.trim().chars().count() < 3 {
        return Ok(Vec::new());
    }
    let mut similar: Vec<(u32, Choice)> = store
        .items(actor.organisation_id)
        .await?
        .into_iter()
        .filter(|i| {
            visible(actor, i.location_id) && ItemStatus::parse(&i.status).is_ok_and(|s| s.is_open())
        })
        .filter_map(|i| {
            let score = similarity(title, &i.title);
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

/// A manager's own item as the form sends it.
#[derive(Clone, Copy, Debug)]
pub struct NewImprovement<'a> {
    pub title: &'a str,
    pub problem: &'a str,
    /// A location's id, or "" for every location.
    pub location_id: &'a str,
    /// The cause it tracks: a category code at a touchpoint code (both, or neither "").
    pub category: &'a str,
    pub touchpoint: &'a str,
    /// Recoveries to link: "12, 15".
    pub recovery_ids: &'a str,
}

/// A manager's own item: a title, a problem statement, optionally the cause it tracks (a
/// category at a touchpoint, at a location or everywhere) and recoveries to link ("12, 15").
/// A manager of the location creates it (an organisation-wide manager, an item for every
/// location); every recovery must be at a location where the actor is a manager.
#[tracing::instrument(name = "improvements::create", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn create(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    form: &NewImprovement<'_>,
) -> Result<i64, ServiceError> {
    actor.require(Role::Manager)?;
    let org = actor.organisation_id;
    let title =
        domain::learning::title(form.title).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let problem =
        domain::learning::text(form.problem).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let location_id = match form.location_id.trim() {
        "" => None,
        t => Some(
            t.parse::<i64>()
                .map_err(|_| ServiceError::Invalid("Choose a location from the list.".into()))?,
        ),
    };
    if !editable(actor, location_id) {
        return Err(match location_id {
            Some(_) => ServiceError::Forbidden,
            None => ServiceError::Invalid(
                "Choose a location: an item for every location needs an organisation-wide manager."
                    .into(),
            ),
        });
    }
    if let Some(id) = location_id {
        if !store.locations(org).await?.iter().any(|l| l.id == id) {
            return Err(ServiceError::NotFound("location"));
        }
    }
    let code = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
    let (category, touchpoint) = (code(form.category), code(form.touchpoint));
    if category.is_some() != touchpoint.is_some() {
        return Err(ServiceError::Invalid(
            "A cause is a category at a touchpoint: choose both, or neither.".into(),
        ));
    }
    if let (Some(c), Some(t)) = (&category, &touchpoint) {
        let categories = store.taxonomy_codes(org, TaxonomyKind::Category).await?;
        let touchpoints = store.taxonomy_codes(org, TaxonomyKind::Touchpoint).await?;
        if !categories.contains(c) || !touchpoints.contains(t) {
            return Err(ServiceError::Invalid(
                "Choose the category and touchpoint from the lists.".into(),
            ));
        }
    }
    let ids = parse_ids(form.recovery_ids)?;
    let scope = link_scope(actor);
    let item = NewItem {
        organisation_id: org,
        location_id,
        category,
        touchpoint,
        from_signal: false,
        title,
        problem,
        created_by: Some(actor.person_id),
    };
    // Every recovery must be at a location where the actor is a manager (any, for an
    // organisation-wide manager): otherwise "recovery not found" and nothing is created.
    let id = store
        .create_item_within(&item, &ids, scope.as_deref(), now)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(_) => ServiceError::Conflict(
                "An open item already tracks this cause; add to it instead.".into(),
            ),
            other => other.into(),
        })?;
    Ok(id)
}

/// Recovery numbers as typed: "12, 15", "#12 #15".
fn parse_ids(text: &str) -> Result<Vec<i64>, ServiceError> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.trim_start_matches('#').parse::<i64>().map_err(|_| {
                ServiceError::Invalid(format!(
                    "Recoveries to link: \"{t}\" is not a recovery number; separate numbers with commas."
                ))
            })
        })
        .collect()
}

/// Loads an item the actor may change.
async fn editable_item(store: &Store, actor: &Actor, id: i64) -> Result<ItemRow, ServiceError> {
    let item = store.item(actor.organisation_id, id).await?;
    if !visible(actor, item.location_id) {
        return Err(ServiceError::NotFound("improvement item"));
    }
    if !editable(actor, item.location_id) {
        return Err(ServiceError::Forbidden);
    }
    Ok(item)
}

/// Moves an item along its workflow (a manager of its location): `from` is the status the
/// page showed (a change made meanwhile by someone else is refused); declining needs a
/// reason. A move to done is dated today at the item's location.
#[tracing::instrument(name = "improvements::move", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn move_item(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    from: &str,
    to: &str,
    reason: &str,
) -> Result<(), ServiceError> {
    actor.require(Role::Manager)?;
    let item = editable_item(store, actor, id).await?;
    let parse = |t: &str| ItemStatus::parse(t).map_err(|e| ServiceError::Invalid(e.to_string()));
    let (from, to) = (parse(from)?, parse(to)?);
    if item.status()? != from {
        return Err(ServiceError::Conflict(format!(
            "This item is {} now; reload to see who changed it.",
            item.status()?.label()
        )));
    }
    let reason = transition(from, to, reason).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let locations = store.locations(actor.organisation_id).await?;
    let organisation = store.organisation(actor.organisation_id).await?;
    let today = today(&locations, item.location_id, organisation.time_zone, now);
    store
        .change_item(
            actor.organisation_id,
            id,
            &ItemChange::Status {
                from,
                to,
                reason,
                on: (to == ItemStatus::Done).then_some(today),
            },
            actor.person_id,
            now,
        )
        .await?;
    Ok(())
}

/// An item's owner, due date, countermeasure and problem statement as the form sends them.
#[derive(Clone, Copy, Debug)]
pub struct ItemEdit<'a> {
    /// A person's id, or "" for no owner.
    pub owner_id: &'a str,
    /// "2026-12-15", or "" for no due date.
    pub due_on: &'a str,
    pub countermeasure: &'a str,
    pub problem: &'a str,
}

/// Changes an item's owner, due date, countermeasure or problem statement (a manager of its
/// location); only what differs is changed (and recorded in its history).
#[tracing::instrument(name = "improvements::edit", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn edit(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    form: &ItemEdit<'_>,
) -> Result<(), ServiceError> {
    actor.require(Role::Manager)?;
    let item = editable_item(store, actor, id).await?;
    let owner = match form.owner_id.trim() {
        "" => None,
        t => Some(
            t.parse::<i64>()
                .map_err(|_| ServiceError::Invalid("Choose an owner from the list.".into()))?,
        ),
    };
    let due =
        match form.due_on.trim() {
            "" => None,
            t => Some(NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
                ServiceError::Invalid("Due date: use a date like 2026-12-15.".into())
            })?),
        };
    let countermeasure = domain::learning::text(form.countermeasure)
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let problem =
        domain::learning::text(form.problem).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    // The owner is one of those offered: a manager of the item's location (or of the whole
    // organisation).
    if let Some(owner_id) = owner.filter(|o| Some(*o) != item.owner_id) {
        let at: Vec<i64> = item.location_id.into_iter().collect();
        let managers = managers_within(
            &store.role_grants(actor.organisation_id).await?,
            item.location_id.map(|_| at.as_slice()),
        );
        if !managers.contains(&owner_id) {
            return Err(ServiceError::Invalid(
                "Choose an owner from the list: a manager of the item's location.".into(),
            ));
        }
    }
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
        store
            .change_item(actor.organisation_id, id, &change, actor.person_id, now)
            .await?;
    }
    Ok(())
}

/// Adds a comment to an item's history (supervisors of its location and above).
#[tracing::instrument(name = "improvements::comment", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn comment(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    text: &str,
) -> Result<(), ServiceError> {
    actor.require(Role::Supervisor)?;
    let item = store.item(actor.organisation_id, id).await?;
    if !visible(actor, item.location_id) {
        return Err(ServiceError::NotFound("improvement item"));
    }
    let text = domain::learning::text(text).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    if text.is_empty() {
        return Err(ServiceError::Invalid("Write the comment first.".into()));
    }
    store
        .item_event(
            actor.organisation_id,
            id,
            Some(actor.person_id),
            "comment",
            &text,
            now,
        )
        .await?;
    Ok(())
}

/// Links recoveries ("12, 15, 31") to an item by hand (a manager of its location): only
/// recoveries at locations where the actor is a manager (any, for an organisation-wide
/// manager). Any other id answers "recovery not found" and nothing is linked. Returns how
/// many links are new.
#[tracing::instrument(name = "improvements::link", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn link(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    recovery_ids: &str,
) -> Result<u64, ServiceError> {
    actor.require(Role::Manager)?;
    editable_item(store, actor, id).await?;
    let ids = parse_ids(recovery_ids)?;
    if ids.is_empty() {
        return Err(ServiceError::Invalid(
            "Give the numbers of the recoveries to link.".into(),
        ));
    }
    let scope = link_scope(actor);
    Ok(store
        .link_recoveries_within(
            actor.organisation_id,
            id,
            &ids,
            Some(actor.person_id),
            scope.as_deref(),
            now,
        )
        .await?)
}

/// Sets when recurring recoveries become a signal (organisation-wide admins): the window in
/// days and the thresholds per location and across the organisation. The change is audited
/// and existing history is re-checked.
#[tracing::instrument(name = "improvements::set_thresholds", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn set_thresholds(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    window_days: u32,
    location_occurrences: u32,
    organisation_occurrences: u32,
) -> Result<(), ServiceError> {
    actor.require_org_wide(Role::Admin)?;
    let org = actor.organisation_id;
    let thresholds = Thresholds::new(window_days, location_occurrences, organisation_occurrences)
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let before = store.learning_thresholds(org).await?;
    store.set_learning_thresholds(org, &thresholds, now).await?;
    audit::record(
        store,
        actor,
        "learning.set-thresholds",
        &format!("organisation:{org}"),
        Some(serde_json::to_value(before).unwrap_or_default()),
        Some(serde_json::to_value(thresholds).unwrap_or_default()),
        now,
    )
    .await?;
    let organisation = store.organisation(org).await?;
    let zone = organisation.time_zone;
    let today = local_date(now, zone);
    crate::learning::scan(store, org, today, now).await?;
    Ok(())
}
