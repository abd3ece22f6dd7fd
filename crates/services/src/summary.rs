//! The monthly learning summary for leadership: computing it from the ledger (one month's
//! indexed queries, assembled by the rules in `domain::summary`; see docs/SUMMARY.md), the
//! month as the ledger stands or as published (frozen, with any later corrections beside
//! it), commentary and publication. Reading needs a manager (their locations) or an
//! organisation-wide grant for the whole organisation; writing the commentary and
//! publishing need leadership for that scope.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::{
    budget_day::local_date,
    learning::ItemStatus,
    org::Role,
    recovery::{Channel, Reaction, RemedyType, Severity},
    summary::{
        band, corrections, follow_up_figures, money, pareto, recognised, shares, FollowUp,
        Headline, ImprovementLine, Month, PersonMonth, SpendLine, Story, Summary, SummaryError,
        TeamUse, Utilisation, BANDS, MAX_COMMENTARY_CHARS, NAMED,
    },
};
use store::{organisations::Location, Store, StoreError};
use views::{
    summary::{Publication, SummaryView},
    Choice,
};

use crate::{console::Allowances, Actor, ServiceError};

/// How many stories the summary retells.
pub const STORIES: i64 = 5;

/// The month and scope a commentary was saved for or a month was published in: the page
/// a plain form post goes back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonthScope {
    pub month: Month,
    /// `None`: the whole organisation.
    pub location_id: Option<i64>,
}

/// The month's summary as the page shows it (default: the last complete month; default
/// scope: the whole organisation, or the actor's first location): frozen if published
/// (with what moved since), else as the ledger stands. The actor must be a manager for the
/// scope.
#[tracing::instrument(name = "summary::view", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn view(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    month: &str,
    location: &str,
) -> Result<SummaryView, ServiceError> {
    actor.require(Role::Manager)?;
    let org = actor.organisation_id;
    let location_id = scope(store, actor, location).await?;
    let today = today(store, org, location_id, now).await?;
    let month = self::month(month, today)?;
    let key = month.key();
    let live = compute(store, org, location_id, month, now).await?;
    let published = store.published_summary(org, location_id, &key).await?;
    let (summary, publication, corrections, late_entries) = match published {
        None => (live, None, Vec::new(), Vec::new()),
        Some(row) => {
            let mut frozen: Summary = serde_json::from_str(&row.snapshot).map_err(|_| {
                ServiceError::Internal("a published summary's snapshot cannot be read".into())
            })?;
            // A story's note is what staff wrote: personal text, never frozen
            // (docs/PRIVACY.md). It is read as it stands now, so an erased or expired note
            // is gone from the published month too.
            for story in &mut frozen.stories {
                story.note = match store.recovery(org, story.recovery_id).await {
                    Ok(row) => row.description,
                    Err(store::StoreError::NotFound(_)) => String::new(),
                    Err(other) => return Err(other.into()),
                };
            }
            let changed = corrections(&frozen, &live);
            let late = store
                .late_entries(
                    org,
                    location_id,
                    month.first_day(),
                    month.last_day(),
                    row.published_at,
                )
                .await?
                .into_iter()
                .map(|e| {
                    let what = match e.kind.as_str() {
                        "reversed" => "reversed",
                        "approved" => "approved",
                        "partly-approved" => "part-approved",
                        "denied" => "denied",
                        _ => "logged late",
                    };
                    format!(
                        "{}: recovery #{} by {} on {} {what} ({}){}",
                        e.at.format("%d %b %Y %H:%M UTC"),
                        e.recovery_id,
                        e.person_name,
                        e.budget_date.format("%d %b"),
                        money(e.amount_minor, e.currency.code()),
                        e.reason.map(|r| format!(": {r}")).unwrap_or_default()
                    )
                })
                .collect();
            (
                frozen,
                Some(Publication {
                    by: row.published_by_name,
                    at: row.published_at.format("%d %b %Y %H:%M UTC").to_string(),
                    commentary: row.commentary,
                }),
                changed,
                late,
            )
        }
    };
    let draft = store
        .summary_draft(org, location_id, &key)
        .await?
        .unwrap_or_default();
    let scope_ids = actor.access().scope_of(Role::Manager);
    let mut scopes = Vec::new();
    if scope_ids.is_none() {
        scopes.push(Choice {
            code: "all".to_string(),
            label: "All locations".to_string(),
        });
    }
    for l in store.locations(org).await? {
        if scope_ids.as_ref().is_none_or(|ids| ids.contains(&l.id)) {
            scopes.push(Choice {
                code: l.id.to_string(),
                label: l.name,
            });
        }
    }
    let published_months = store.published_months(org, location_id).await?;
    let mut months = Vec::new();
    let mut m = Month::of(today);
    for _ in 0..13 {
        let key = m.key();
        let mark = if published_months.contains(&key) {
            " — published"
        } else {
            ""
        };
        months.push(Choice {
            label: format!("{}{mark}", m.label()),
            code: key,
        });
        m = m.previous();
    }
    Ok(SummaryView {
        month: key,
        location: location_id.map_or_else(|| "all".to_string(), |id| id.to_string()),
        can_publish: may_publish(actor, location_id),
        complete: month.last_day() <= today,
        summary,
        published: publication,
        draft,
        corrections,
        late_entries,
        scopes,
        months,
    })
}

/// Saves leadership's draft commentary for a month not yet published.
#[tracing::instrument(name = "summary::save_commentary", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn save_commentary(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    month: &str,
    location: &str,
    commentary: &str,
) -> Result<MonthScope, ServiceError> {
    actor.require(Role::Leader)?;
    let org = actor.organisation_id;
    let location_id = scope(store, actor, location).await?;
    if !may_publish(actor, location_id) {
        return Err(ServiceError::Forbidden);
    }
    let month = Month::parse(month).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let text = self::commentary(commentary)?;
    if store
        .published_summary(org, location_id, &month.key())
        .await?
        .is_some()
    {
        return Err(ServiceError::Conflict(format!(
            "{} is published and frozen: its commentary can no longer change.",
            month.label()
        )));
    }
    store
        .save_summary_draft(org, location_id, &month.key(), &text, actor.person_id, now)
        .await?;
    Ok(MonthScope { month, location_id })
}

/// Publishes a complete month: the summary as the ledger stands now is frozen with the
/// saved commentary; later corrections show beside it, never in it.
#[tracing::instrument(name = "summary::publish", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn publish(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    month: &str,
    location: &str,
) -> Result<MonthScope, ServiceError> {
    actor.require(Role::Leader)?;
    let org = actor.organisation_id;
    let location_id = scope(store, actor, location).await?;
    if !may_publish(actor, location_id) {
        return Err(ServiceError::Forbidden);
    }
    let month = Month::parse(month).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let text = store
        .summary_draft(org, location_id, &month.key())
        .await?
        .unwrap_or_default();
    let today = today(store, org, location_id, now).await?;
    if month.last_day() > today {
        return Err(ServiceError::Invalid(format!(
            "{} is not over yet: publish it from its last day on.",
            month.label()
        )));
    }
    let mut summary = compute(store, org, location_id, month, now).await?;
    // Figures are frozen; personal text is not (see `view`).
    for story in &mut summary.stories {
        story.note.clear();
    }
    let snapshot = serde_json::to_string(&summary)
        .map_err(|_| ServiceError::Internal("a summary cannot be written as JSON".into()))?;
    store
        .publish_summary(
            org,
            location_id,
            &month.key(),
            &text,
            &snapshot,
            actor.person_id,
            now,
        )
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(_) => {
                ServiceError::Conflict(format!("{} is already published.", month.label()))
            }
            other => other.into(),
        })?;
    Ok(MonthScope { month, location_id })
}

/// The scope asked for: "all" (or "" for an actor with an organisation-wide grant) is the
/// organisation; a number is a location; "" for an actor with only location grants is their
/// first location.
async fn scope(store: &Store, actor: &Actor, location: &str) -> Result<Option<i64>, ServiceError> {
    let location = location.trim();
    let access = actor.access();
    let wide = access.scope_of(Role::Manager).is_none();
    let id = match location {
        "all" => None,
        "" if wide => None,
        "" => access
            .scope_of(Role::Manager)
            .and_then(|ids| ids.into_iter().min()),
        text => {
            let id = text.parse::<i64>().map_err(|_| {
                ServiceError::Invalid("Choose a location from the list.".to_string())
            })?;
            Some(id)
        }
    };
    match id {
        None if wide => Ok(None),
        None => Err(ServiceError::Forbidden),
        Some(id) => {
            if !access.at(Role::Manager, id) {
                return Err(ServiceError::Forbidden);
            }
            if !store
                .locations(actor.organisation_id)
                .await?
                .iter()
                .any(|l| l.id == id)
            {
                return Err(ServiceError::NotFound("location"));
            }
            Ok(Some(id))
        }
    }
}

/// May the actor write the commentary and publish for this scope? Leadership of the
/// location; for the whole organisation, leadership organisation-wide.
fn may_publish(actor: &Actor, location_id: Option<i64>) -> bool {
    let access = actor.access();
    match location_id {
        Some(id) => access.at(Role::Leader, id),
        None => access.anywhere(Role::Leader) && access.scope_of(Role::Leader).is_none(),
    }
}

/// Today in the scope's time zone (the organisation's, or the location's).
async fn today(
    store: &Store,
    organisation_id: i64,
    location_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<NaiveDate, ServiceError> {
    let organisation = store.organisation(organisation_id).await?;
    let locations = store.locations(organisation_id).await?;
    let zone = scope_zone(organisation.time_zone, &locations, location_id);
    Ok(today_in(zone, now))
}

/// The month asked for, or by default the last complete one.
fn month(text: &str, today: NaiveDate) -> Result<Month, ServiceError> {
    if text.trim().is_empty() {
        return Ok(Month::of(today).previous());
    }
    Month::parse(text).map_err(|e| ServiceError::Invalid(e.to_string()))
}

/// The commentary as stored: line breaks made plain, trimmed, and no longer than allowed.
fn commentary(text: &str) -> Result<String, ServiceError> {
    let text = text.replace("\r\n", "\n").trim().to_string();
    if text.chars().count() > MAX_COMMENTARY_CHARS {
        return Err(ServiceError::Invalid(
            SummaryError::CommentaryTooLong(MAX_COMMENTARY_CHARS).to_string(),
        ));
    }
    Ok(text)
}

/// The summary of `month` for the organisation (`location_id` None) or one location, as the
/// ledger stands at `now`. No role check: the use cases above check the actor's scope
/// before they call it (the bench and the store tests call it directly).
pub async fn compute(
    store: &Store,
    organisation_id: i64,
    location_id: Option<i64>,
    month: Month,
    now: DateTime<Utc>,
) -> Result<Summary, ServiceError> {
    let organisation = store.organisation(organisation_id).await?;
    let locations = store.locations(organisation_id).await?;
    let scope = match location_id {
        Some(id) => locations
            .iter()
            .find(|l| l.id == id)
            .ok_or(ServiceError::NotFound("location"))?
            .name
            .clone(),
        None => "All locations".to_string(),
    };
    let zone = scope_zone(organisation.time_zone, &locations, location_id);
    let today = today_in(zone, now);
    let (from, to) = (month.first_day(), month.last_day());
    let taxonomy = store.taxonomy(organisation_id).await?;
    let label = |kind: &str, code: &str| {
        taxonomy
            .iter()
            .find(|t| t.kind == kind && t.code == code)
            .map_or_else(|| code.to_string(), |t| t.label.clone())
    };
    let place = |id: i64| {
        locations
            .iter()
            .find(|l| l.id == id)
            .map_or_else(String::new, |l| l.name.clone())
    };

    // Recoveries and spend, with the previous month and the same month a year before.
    let causes = store
        .cause_totals(organisation_id, location_id, from, to)
        .await?;
    let previous = month.previous();
    let year_ago = month.year_ago();
    let previous_totals = store
        .currency_totals(
            organisation_id,
            location_id,
            previous.first_day(),
            previous.last_day(),
        )
        .await?;
    let year_ago_totals = store
        .currency_totals(
            organisation_id,
            location_id,
            year_ago.first_day(),
            year_ago.last_day(),
        )
        .await?;
    let mut headline = Headline {
        previous_recoveries: previous_totals.iter().map(|t| t.recoveries).sum(),
        year_ago_recoveries: year_ago_totals.iter().map(|t| t.recoveries).sum(),
        ..Headline::default()
    };
    let mut lines: Vec<SpendLine> = Vec::new();
    fn line<'a>(lines: &'a mut Vec<SpendLine>, currency: &str) -> &'a mut SpendLine {
        let index = match lines.iter().position(|l| l.currency == currency) {
            Some(index) => index,
            None => {
                lines.push(SpendLine {
                    currency: currency.to_string(),
                    recoveries: 0,
                    spend_minor: 0,
                    allowance_minor: 0,
                    previous_spend_minor: 0,
                    year_ago_spend_minor: 0,
                });
                lines.len() - 1
            }
        };
        &mut lines[index]
    }
    let mut by_category: HashMap<String, i64> = HashMap::new();
    let mut by_touchpoint: HashMap<String, i64> = HashMap::new();
    let mut cost_by_category: HashMap<(String, String), i64> = HashMap::new();
    for cause in &causes {
        headline.recoveries += cause.recoveries;
        headline.reversed += cause.reversed;
        headline.pending += cause.pending;
        headline.non_monetary += cause.non_monetary;
        let l = line(&mut lines, cause.currency.code());
        l.recoveries += cause.recoveries;
        l.spend_minor = l.spend_minor.saturating_add(cause.posted_minor);
        *by_category
            .entry(label("category", &cause.category))
            .or_default() += cause.recoveries;
        *by_touchpoint
            .entry(label("touchpoint", &cause.touchpoint))
            .or_default() += cause.recoveries;
        let cost = cost_by_category
            .entry((
                cause.currency.code().to_string(),
                label("category", &cause.category),
            ))
            .or_default();
        *cost = cost.saturating_add(cause.posted_minor);
    }
    for total in &previous_totals {
        let l = line(&mut lines, total.currency.code());
        l.previous_spend_minor = l.previous_spend_minor.saturating_add(total.posted_minor);
    }
    for total in &year_ago_totals {
        let l = line(&mut lines, total.currency.code());
        l.year_ago_spend_minor = l.year_ago_spend_minor.saturating_add(total.posted_minor);
    }

    // Budget utilisation: each person's posted spend against the allowance of every day of
    // the month so far (what budget evaluations stored, or what the policies give).
    let within: Option<Vec<i64>> = location_id.map(|id| vec![id]);
    let spend = store
        .spend_by_person(organisation_id, within.as_deref(), from, to)
        .await?;
    let stored: HashMap<(i64, NaiveDate), i64> = store
        .stored_allowances(organisation_id, within.as_deref(), from, to)
        .await?
        .into_iter()
        .map(|(person, day, allowance)| ((person, day), allowance))
        .collect();
    let allowances = Allowances::load(store, organisation_id, from).await?;
    let days: Vec<NaiveDate> = from
        .iter_days()
        .take_while(|d| *d <= to && *d <= today)
        .collect();
    let teams = store.teams(organisation_id).await?;
    // Recoveries per person, reversed ones left out (the spend query counts every entry).
    let person_months = store
        .person_reactions(organisation_id, location_id, from, to)
        .await?;
    let kept: HashMap<i64, i64> = person_months
        .iter()
        .map(|p| (p.person_id, p.recoveries))
        .collect();
    let mut utilisation = Utilisation {
        bands: vec![0; BANDS.len()],
        ..Utilisation::default()
    };
    let mut team_use: Vec<(i64, TeamUse)> = Vec::new();
    // The front line: people with a role at a location. Leadership and administration, who
    // hold only organisation-wide roles, are not counted unless they logged recoveries.
    let at_a_location: HashSet<i64> = store
        .role_grants(organisation_id)
        .await?
        .into_iter()
        .filter(|(_, _, location)| location.is_some())
        .map(|(person, _, _)| person)
        .collect();
    for person in &spend {
        if !at_a_location.contains(&person.person_id) && person.recoveries == 0 {
            continue;
        }
        let currency = currency_of(&locations, person.location_id);
        let allowance: i64 = days
            .iter()
            .map(|day| {
                stored
                    .get(&(person.person_id, *day))
                    .copied()
                    .unwrap_or_else(|| allowances.on(person.person_id, person.team_id, *day).daily)
            })
            .fold(0_i64, i64::saturating_add);
        let l = line(&mut lines, &currency);
        l.allowance_minor = l.allowance_minor.saturating_add(allowance);
        let named = format!("{} — {}", person.person_name, place(person.location_id));
        if let Some(b) = band(person.posted_minor, allowance) {
            utilisation.bands[b] += 1;
            if b == 0 {
                utilisation.never_total += 1;
                if utilisation.never.len() < NAMED {
                    utilisation.never.push(named);
                }
            } else if b == 1 {
                utilisation.rarely_total += 1;
                if utilisation.rarely.len() < NAMED {
                    utilisation.rarely.push(named);
                }
            }
        }
        if let Some(team_id) = person.team_id {
            let index = match team_use.iter().position(|(id, _)| *id == team_id) {
                Some(index) => index,
                None => {
                    let team = teams.iter().find(|t| t.id == team_id);
                    team_use.push((
                        team_id,
                        TeamUse {
                            name: team.map_or_else(String::new, |t| t.name.clone()),
                            place: team.map_or_else(String::new, |t| place(t.location_id)),
                            people: 0,
                            recoveries: 0,
                            spend_minor: 0,
                            allowance_minor: 0,
                            currency: currency.clone(),
                        },
                    ));
                    team_use.len() - 1
                }
            };
            let team = &mut team_use[index].1;
            team.people += 1;
            team.recoveries += kept.get(&person.person_id).copied().unwrap_or(0);
            team.spend_minor = team.spend_minor.saturating_add(person.posted_minor);
            team.allowance_minor = team.allowance_minor.saturating_add(allowance);
        }
    }
    utilisation.teams = team_use.into_iter().map(|(_, t)| t).collect();
    utilisation.teams.sort_by(|a, b| {
        // Least used first: the teams to talk to.
        let share = |t: &TeamUse| {
            (i128::from(t.spend_minor) * 1_000_000)
                .checked_div(i128::from(t.allowance_minor))
                .unwrap_or(i128::MAX)
        };
        share(a)
            .cmp(&share(b))
            .then_with(|| a.place.cmp(&b.place))
            .then_with(|| a.name.cmp(&b.name))
    });
    lines.sort_by(|a, b| a.currency.cmp(&b.currency));
    headline.lines = lines;

    // Channels and customer reactions.
    let outcomes = store
        .outcome_totals(organisation_id, location_id, from, to)
        .await?;
    let mut channels: HashMap<String, i64> = HashMap::new();
    let mut reactions: HashMap<&str, i64> = HashMap::new();
    for o in &outcomes {
        let channel = Channel::parse(&o.channel)
            .map_or_else(|_| o.channel.clone(), |c| c.label().to_string());
        *channels.entry(channel).or_default() += o.recoveries;
        if let Ok(reaction) = Reaction::parse(&o.reaction) {
            *reactions.entry(reaction.as_str()).or_default() += o.recoveries;
        }
    }
    let mut channels: Vec<(String, i64)> = channels.into_iter().collect();
    channels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let reactions = Reaction::ALL.iter().map(|r| {
        (
            r.label().to_string(),
            reactions.get(r.as_str()).copied().unwrap_or(0),
        )
    });

    // Follow-ups promised this month against their due times.
    let follow_ups: Vec<FollowUp> = store
        .follow_up_rows(organisation_id, location_id, from, to)
        .await?
        .into_iter()
        .map(|r| FollowUp {
            recorded_at: r.recorded_at,
            due_at: r.due_at,
            completed_at: r.completed_at,
        })
        .collect();

    // Stories worth retelling, and people worth recognising.
    let stories = store
        .notable_recoveries(organisation_id, location_id, from, to, STORIES)
        .await?
        .into_iter()
        .map(|r| Story {
            recovery_id: r.id,
            person: r.person_name.clone(),
            place: place(r.location_id),
            date: r.budget_date,
            cause: format!(
                "{} at {}",
                label("category", &r.category),
                label("touchpoint", &r.touchpoint)
            ),
            remedy: RemedyType::parse(&r.remedy)
                .map_or_else(|_| r.remedy.clone(), |m| m.label().to_string()),
            amount: if r.amount_minor == 0 {
                "no money".to_string()
            } else {
                money(r.amount_minor, r.currency.code())
            },
            severity: Severity::parse(&r.severity)
                .map_or_else(|_| r.severity.clone(), |s| s.label().to_string()),
            reaction: Reaction::parse(&r.reaction)
                .map_or_else(|_| r.reaction.clone(), |s| s.label().to_string()),
            note: r.description,
        })
        .collect();
    let people: Vec<PersonMonth> = person_months
        .into_iter()
        .map(|p| PersonMonth {
            person_id: p.person_id,
            name: p.person_name,
            place: place(p.location_id),
            recoveries: p.recoveries,
            delighted: p.delighted,
            satisfied: p.satisfied,
            with_cause: p.with_cause,
        })
        .collect();

    Ok(Summary {
        organisation: organisation.name,
        scope,
        location_id,
        month,
        computed_at: now,
        headline,
        utilisation,
        categories_by_count: pareto(by_category),
        touchpoints_by_count: pareto(by_touchpoint),
        categories_by_cost: {
            let mut by_currency: Vec<(String, Vec<(String, i64)>)> = Vec::new();
            for ((currency, category), cost) in cost_by_category {
                match by_currency.iter_mut().find(|(c, _)| *c == currency) {
                    Some((_, rows)) => rows.push((category, cost)),
                    None => by_currency.push((currency, vec![(category, cost)])),
                }
            }
            by_currency.sort_by(|a, b| a.0.cmp(&b.0));
            by_currency
                .into_iter()
                .map(|(currency, rows)| (currency, pareto(rows)))
                .filter(|(_, rows)| !rows.is_empty())
                .collect()
        },
        channels: shares(channels),
        reactions: shares(reactions),
        follow_ups: follow_up_figures(&follow_ups, now),
        improvements: improvements(
            store,
            organisation_id,
            location_id,
            &locations,
            zone,
            month,
            now,
        )
        .await?,
        stories,
        recognition: recognised(&people),
    })
}

/// The time zone of a summary's scope: the location's, or the organisation's.
pub(crate) fn scope_zone(
    organisation_zone: Tz,
    locations: &[Location],
    location_id: Option<i64>,
) -> Tz {
    location_id
        .and_then(|id| locations.iter().find(|l| l.id == id))
        .map_or(organisation_zone, |l| l.time_zone)
}

/// The local date now in `zone`.
pub(crate) fn today_in(zone: Tz, now: DateTime<Utc>) -> NaiveDate {
    local_date(now, zone)
}

fn currency_of(locations: &[Location], location_id: i64) -> String {
    locations
        .iter()
        .find(|l| l.id == location_id)
        .map_or_else(String::new, |l| l.currency.code().to_string())
}

/// Improvement items of the scope that were opened, done or verified in the month, with
/// their figures and measured effect.
async fn improvements(
    store: &Store,
    organisation_id: i64,
    location_id: Option<i64>,
    locations: &[Location],
    zone: Tz,
    month: Month,
    now: DateTime<Utc>,
) -> Result<Vec<ImprovementLine>, ServiceError> {
    let local = |at: DateTime<Utc>| local_date(at, zone);
    let items: Vec<_> = store
        .items(organisation_id)
        .await?
        .into_iter()
        .filter(|i| location_id.is_none() || i.location_id == location_id)
        .collect();
    let cx = crate::improvements::context(store, organisation_id, None).await?;
    let mut lines = Vec::new();
    for item in &items {
        let status = item.status()?;
        let opened = month.contains(local(item.created_at));
        let done = item.done_on.is_some_and(|d| month.contains(d));
        let verified = status == ItemStatus::Verified
            && store
                .item_events(organisation_id, item.id)
                .await?
                .iter()
                .rev()
                .find(|e| e.kind == "status")
                .is_some_and(|e| month.contains(local(e.at)));
        if !(opened || done || verified) {
            continue;
        }
        let (view, _) =
            crate::improvements::summary(store, organisation_id, item, &cx, now).await?;
        lines.push(ImprovementLine {
            id: item.id,
            title: item.title.clone(),
            place: crate::improvements::place(locations, item.location_id),
            status: status.label().to_string(),
            opened,
            done,
            verified,
            occurrences: view.occurrences,
            cost: view.cost,
            effect: view.effect,
        });
    }
    lines.sort_by(|a, b| {
        (b.verified, b.done, b.occurrences, a.id).cmp(&(a.verified, a.done, a.occurrences, b.id))
    });
    Ok(lines)
}
