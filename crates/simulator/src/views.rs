//! Reading every screen and export, and the learning loop's items, as the simulator's random
//! people do: what a view shows must be of the reader's organisation and within the scope of
//! the role the view is read with, and no figure may add two currencies.
//!
//! Every simulated recovery's description carries its idempotency key in brackets
//! (`[k12-345]`), and every simulated person's name carries their organisation's letter
//! (`Person a3`), so a view's text (its JSON, or the CSV of an export) says which recoveries
//! and whose names it shows, whatever the view's shape.

use std::collections::HashMap;

use chrono::Datelike;
use domain::{money::Currency, org::Role};
use services::{console, front_line, improvements, summary, Actor};
use store::Store;

use crate::{holds_at, holds_org_wide, pick, service_refusal, Pick, Someone, World};

/// Who may see a recovery that a view shows.
#[derive(Clone, Copy, Debug)]
enum Reach {
    /// Only the reader's own recoveries.
    Own,
    /// Recoveries at the locations where the reader holds the role.
    Role(Role),
    /// Recoveries at one location, where the reader holds the role.
    Location(Role, i64),
    /// Any recovery of the organisation, for a reader who holds the role organisation-wide.
    OrganisationWide(Role),
    /// Only what the reader did (their own decisions): any recovery of the organisation.
    Organisation,
    /// Recoveries at the reader's own location (a customer's history on the tablet).
    Home,
}

/// The views a `Read` action picks from.
pub(crate) const VIEWS: u8 = 17;

/// Reads view number `view % VIEWS` as `someone`; checks what it shows.
pub(crate) async fn read(
    store: &Store,
    world: &World,
    someone: &Someone,
    actor: &Actor,
    view: u8,
    place: Option<Pick>,
) -> Result<Option<bool>, String> {
    let now = world.now;
    let held = crate::grants(store, someone).await?;
    // A location of either organisation, for the views that take one.
    let location = place
        .and_then(|p| pick(&world.locations, p))
        .map(|(_, id)| *id);
    let month = {
        let today = now.date_naive();
        format!("{:04}-{:02}", today.year(), today.month())
    };
    let location_text = location.map_or_else(|| "all".to_string(), |id| id.to_string());
    let summary_reach = match location {
        Some(id) => Reach::Location(Role::Manager, id),
        None => Reach::OrganisationWide(Role::Manager),
    };
    macro_rules! shown {
        ($outcome:expr, $reach:expr, $name:literal) => {
            match $outcome {
                Ok(view) => {
                    let text = serde_json::to_string(&view)
                        .map_err(|e| format!("the {} view did not serialise: {e}", $name))?;
                    check_shown(world, someone, &held, $reach, &text, $name)?;
                    Some(view)
                }
                Err(error) => {
                    service_refusal(&error)?;
                    None
                }
            }
        };
    }
    let read = match view % VIEWS {
        0 => {
            let report = shown!(
                console::spend(store, actor, now, "", "").await,
                Reach::Role(Role::Supervisor),
                "spend"
            );
            if let Some(report) = &report {
                for line in &report.people {
                    let owner = world.people.iter().find(|p| p.person_id == line.id);
                    if !owner.is_some_and(|p| {
                        p.organisation_id == someone.organisation_id
                            && holds_at(&held, Role::Supervisor, p.location_id)
                    }) {
                        return Err(format!(
                            "a view left the caller's scope: person {} with grants {held:?} saw the spend of person {}",
                            someone.person_id, line.id
                        ));
                    }
                }
            }
            report.is_some()
        }
        1 => {
            let query = views::console::ReviewQuery {
                location: location.map(|id| id.to_string()).unwrap_or_default(),
                from: (now.date_naive() - chrono::Duration::days(9)).to_string(),
                to: (now.date_naive() + chrono::Duration::days(1)).to_string(),
                ..Default::default()
            };
            shown!(
                console::review(store, actor, now, query).await,
                Reach::Role(Role::Supervisor),
                "review"
            )
            .is_some()
        }
        2 => shown!(
            console::sample(store, actor, now).await,
            Reach::Role(Role::Supervisor),
            "sample"
        )
        .is_some(),
        3 => shown!(
            console::budgets(store, actor, now).await,
            Reach::Role(Role::Supervisor),
            "budgets"
        )
        .is_some(),
        4 => shown!(
            console::my_actions(store, actor, now).await,
            Reach::Organisation,
            "my actions"
        )
        .is_some(),
        5 => shown!(
            front_line::today(store, actor, now, "").await,
            Reach::Own,
            "today"
        )
        .is_some(),
        6 => shown!(
            front_line::my_log(store, actor, now, 30).await,
            Reach::Own,
            "my log"
        )
        .is_some(),
        7 => shown!(
            services::approvals::pending_requests(store, actor, now).await,
            Reach::Role(Role::Supervisor),
            "approval queue"
        )
        .is_some(),
        8 => {
            let queue = shown!(
                improvements::queue(store, actor, now, "", "", "").await,
                Reach::Role(Role::Supervisor),
                "improvement queue"
            );
            let mut any = queue.is_some();
            // Each item it lists, in full.
            for item in queue.map(|q| q.items).unwrap_or_default() {
                let detail = shown!(
                    improvements::item(store, actor, now, item.id).await,
                    Reach::Role(Role::Supervisor),
                    "improvement item"
                );
                if let Some(detail) = detail {
                    check_item_recoveries(world, someone, &held, &detail.recoveries)?;
                }
                any = true;
            }
            any
        }
        9 => {
            let view = shown!(
                summary::view(store, actor, now, &month, &location_text).await,
                summary_reach,
                "summary"
            );
            if let Some(view) = &view {
                check_currencies(world, someone, &view.summary)?;
            }
            view.is_some()
        }
        10 | 11 => {
            let what = if view % VIEWS == 10 {
                services::export::Export::Recoveries
            } else {
                services::export::Export::Tables
            };
            match services::export::summary_export(store, actor, now, what, &month, &location_text)
                .await
            {
                Ok((_, csv)) => {
                    check_shown(world, someone, &held, summary_reach, &csv, "summary export")?;
                    true
                }
                Err(error) => {
                    service_refusal(&error)?;
                    false
                }
            }
        }
        14 => shown!(
            services::privacy::customer_history(
                store,
                actor,
                &crate::room(place.unwrap_or(0)),
                now
            )
            .await,
            Reach::Home,
            "customer history"
        )
        .is_some(),
        15 => shown!(
            services::privacy::find_subject(
                store,
                actor,
                &crate::room(place.unwrap_or(0)),
                None,
                None
            )
            .await,
            Reach::Role(Role::Admin),
            "customer's recoveries"
        )
        .is_some(),
        16 => {
            let export = services::privacy::export_subject(
                store,
                actor,
                &crate::room(place.unwrap_or(0)),
                None,
                None,
                services::privacy::SubjectFormat::Csv,
                now,
            )
            .await;
            match export {
                Ok((_, _, csv)) => {
                    check_shown(
                        world,
                        someone,
                        &held,
                        Reach::Role(Role::Admin),
                        &csv,
                        "customer export",
                    )?;
                    true
                }
                Err(error) => {
                    service_refusal(&error)?;
                    false
                }
            }
        }
        12 => shown!(
            services::admin::overview(store, actor, now).await,
            Reach::Organisation,
            "administration"
        )
        .is_some(),
        _ => shown!(
            services::admin::audit_log(store, actor).await,
            Reach::Organisation,
            "audit log"
        )
        .is_some(),
    };
    Ok(Some(read))
}

/// The keys in a view's text: every `[k…]`.
fn keys(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("[k") {
        rest = &rest[start + 1..];
        match rest.find(']') {
            Some(end) if end < 40 => {
                out.push(&rest[..end]);
                rest = &rest[end..];
            }
            _ => break,
        }
    }
    out
}

/// The letter in the names of an organisation's people.
fn letter(world: &World, organisation_id: i64) -> char {
    if world.organisations.first() == Some(&organisation_id) {
        'a'
    } else {
        'b'
    }
}

/// Everything a view's text shows is of the reader's organisation, and every recovery it
/// shows within `reach`.
fn check_shown(
    world: &World,
    someone: &Someone,
    held: &[domain::org::RoleGrant],
    reach: Reach,
    text: &str,
    view: &str,
) -> Result<(), String> {
    let other = if letter(world, someone.organisation_id) == 'a' {
        'b'
    } else {
        'a'
    };
    if text.contains(&format!("Person {other}")) {
        return Err(format!(
            "a view crossed organisations: person {} saw a name of the other organisation in the {view} view",
            someone.person_id
        ));
    }
    for key in keys(text) {
        let Some(recovery) = world.acknowledged.iter().find(|a| a.key == key) else {
            continue;
        };
        let owner = &world.people[recovery.person];
        if recovery.organisation_id != someone.organisation_id {
            return Err(format!(
                "a view crossed organisations: person {} saw recovery {} in the {view} view",
                someone.person_id, recovery.recovery_id
            ));
        }
        let allowed = match reach {
            Reach::Own => owner.person_id == someone.person_id,
            Reach::Role(role) => holds_at(held, role, owner.location_id),
            Reach::Location(role, id) => owner.location_id == id && holds_at(held, role, id),
            Reach::OrganisationWide(role) => holds_org_wide(held, role),
            Reach::Organisation => true,
            Reach::Home => owner.location_id == someone.location_id,
        };
        if !allowed {
            return Err(format!(
                "a view left the caller's scope: person {} with grants {held:?} saw recovery {} (location {}, person {}) in the {view} view ({reach:?})",
                someone.person_id, recovery.recovery_id, owner.location_id, owner.person_id
            ));
        }
    }
    Ok(())
}

/// An improvement item lists its recoveries as "date · name · amount · severity": each
/// name's home must be where the reader supervises.
fn check_item_recoveries(
    world: &World,
    someone: &Someone,
    held: &[domain::org::RoleGrant],
    lines: &[String],
) -> Result<(), String> {
    for line in lines {
        let Some(name) = line.split(" · ").nth(1) else {
            continue;
        };
        let letter = letter(world, someone.organisation_id);
        let Some(n) = name
            .strip_prefix(&format!("Person {letter}"))
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        let owner = world
            .people
            .iter()
            .filter(|p| p.organisation_id == someone.organisation_id)
            .nth(n);
        if let Some(owner) = owner {
            if !holds_at(held, Role::Supervisor, owner.location_id) {
                return Err(format!(
                    "a view left the caller's scope: person {} with grants {held:?} saw a recovery by person {} (location {}) on an improvement item",
                    someone.person_id, owner.person_id, owner.location_id
                ));
            }
        }
    }
    Ok(())
}

/// No figure adds two currencies: every per-currency figure of the summary is of a currency
/// the organisation's locations use, and no larger than everything ever logged in that
/// currency (a figure that added another currency's amounts would soon exceed it).
fn check_currencies(
    world: &World,
    someone: &Someone,
    summary: &domain::summary::Summary,
) -> Result<(), String> {
    let mut logged: HashMap<&str, i64> = HashMap::new();
    for (org, id) in &world.locations {
        if *org == someone.organisation_id {
            logged.entry(world.currencies[id]).or_insert(0);
        }
    }
    for recovery in &world.acknowledged {
        if recovery.organisation_id != someone.organisation_id {
            continue;
        }
        let code = world.currencies[&world.people[recovery.person].location_id];
        let currency = Currency::parse(code).map_err(|e| e.to_string())?;
        let minor = domain::money::parse_amount(&recovery.form.amount, currency).unwrap_or(0);
        let total = logged.entry(code).or_insert(0);
        *total = total.saturating_add(minor);
    }
    let figure = |currency: &str, minor: i64, what: &str| -> Result<(), String> {
        match logged.get(currency) {
            None => Err(format!(
                "the summary shows {what} in {currency}, which none of the organisation's locations uses"
            )),
            Some(bound) if minor > *bound => Err(format!(
                "a figure added currencies: the summary's {what} is {minor} {currency}, more than all {bound} ever logged in {currency}"
            )),
            Some(_) => Ok(()),
        }
    };
    for line in &summary.headline.lines {
        figure(&line.currency, line.spend_minor, "spend")?;
    }
    for (currency, rows) in &summary.categories_by_cost {
        for row in rows {
            figure(currency, row.value, "cost of a category")?;
        }
    }
    Ok(())
}
