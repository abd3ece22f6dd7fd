//! Computing the monthly learning summary from the ledger (server only): one month's
//! indexed queries, assembled by the rules in `domain::summary`. See docs/SUMMARY.md.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    api::{console::server::Allowances, error::ApiError, learning::server as learning},
    domain::{
        budget_day::{local_date, parse_time_zone},
        learning::ItemStatus,
        recovery::{Channel, Reaction, RemedyType, Severity},
        summary::{
            band, follow_up_figures, money, pareto, recognised, shares, FollowUp, Headline,
            ImprovementLine, Month, PersonMonth, SpendLine, Story, Summary, TeamUse, Utilisation,
            BANDS, NAMED,
        },
    },
    store::{organisations::Location, Store},
};

/// How many stories the summary retells.
pub const STORIES: i64 = 5;

/// The summary of `month` for the organisation (`location_id` None) or one location, as the
/// ledger stands at `now`.
pub async fn compute(
    store: &Store,
    organisation_id: i64,
    location_id: Option<i64>,
    month: Month,
    now: DateTime<Utc>,
) -> Result<Summary, ApiError> {
    let organisation = store.organisation(organisation_id).await?;
    let locations = store.locations(organisation_id).await?;
    let scope = match location_id {
        Some(id) => locations
            .iter()
            .find(|l| l.id == id)
            .ok_or(ApiError::NotFound("location".into()))?
            .name
            .clone(),
        None => "All locations".to_string(),
    };
    let zone = scope_zone(&organisation.time_zone, &locations, location_id);
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
        let l = line(&mut lines, &cause.currency);
        l.recoveries += cause.recoveries;
        l.spend_minor = l.spend_minor.saturating_add(cause.posted_minor);
        *by_category
            .entry(label("category", &cause.category))
            .or_default() += cause.recoveries;
        *by_touchpoint
            .entry(label("touchpoint", &cause.touchpoint))
            .or_default() += cause.recoveries;
        let cost = cost_by_category
            .entry((cause.currency.clone(), label("category", &cause.category)))
            .or_default();
        *cost = cost.saturating_add(cause.posted_minor);
    }
    for total in &previous_totals {
        let l = line(&mut lines, &total.currency);
        l.previous_spend_minor = l.previous_spend_minor.saturating_add(total.posted_minor);
    }
    for total in &year_ago_totals {
        let l = line(&mut lines, &total.currency);
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
                money(r.amount_minor, &r.currency)
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
pub(crate) fn scope_zone<'a>(
    organisation_zone: &'a str,
    locations: &'a [Location],
    location_id: Option<i64>,
) -> &'a str {
    location_id
        .and_then(|id| locations.iter().find(|l| l.id == id))
        .map_or(organisation_zone, |l| l.time_zone.as_str())
}

/// The local date now in `zone` (UTC's date if the zone is unknown).
pub(crate) fn today_in(zone: &str, now: DateTime<Utc>) -> NaiveDate {
    parse_time_zone(zone).map_or(now.date_naive(), |z| local_date(now, z))
}

fn currency_of(locations: &[Location], location_id: i64) -> String {
    locations
        .iter()
        .find(|l| l.id == location_id)
        .map_or_else(String::new, |l| l.currency.clone())
}

/// Improvement items of the scope that were opened, done or verified in the month, with
/// their figures and measured effect.
async fn improvements(
    store: &Store,
    organisation_id: i64,
    location_id: Option<i64>,
    locations: &[Location],
    zone: &str,
    month: Month,
    now: DateTime<Utc>,
) -> Result<Vec<ImprovementLine>, ApiError> {
    let tz = parse_time_zone(zone).ok();
    let local = |at: DateTime<Utc>| tz.map_or(at.date_naive(), |z| local_date(at, z));
    let items: Vec<_> = store
        .items(organisation_id)
        .await?
        .into_iter()
        .filter(|i| location_id.is_none() || i.location_id == location_id)
        .collect();
    let cx = learning::context(store, organisation_id, None).await?;
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
        let (view, _) = learning::summary(store, organisation_id, item, &cx, now).await?;
        lines.push(ImprovementLine {
            id: item.id,
            title: item.title.clone(),
            place: learning::place(locations, item.location_id),
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
