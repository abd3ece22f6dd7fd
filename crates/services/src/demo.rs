//! The demo organisation (`services::demo`; the `server` binary's `seed-demo` and
//! `serve --demo` call it): Harbour Hotels, three hotels in three time zones and currencies,
//! about sixty people, budget policies with an override and a boost, and 90 days of
//! recoveries logged, approved, denied and reversed through the same store functions the
//! screens use. Deterministic for a given seed and "today".
//!
//! Built in so every screen and the learning loop have something true to show: one cause
//! recurs and grows (rooms not ready at check-in, London front desk), and some people never
//! use their budget.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::{America, Europe, Tz};
use domain::{
    budget_day::local_date,
    ledger::Resolution,
    money::Currency,
    org::{Industry, Role, TaxonomyKind},
    policy::{Boost, BudgetPolicy, PolicyScope},
    recovery::{CauseKind, Channel, NewRecovery, Reaction, RemedyType, Severity},
};
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use store::{
    ledger::{RecordRecovery, ResolvePending, ReverseRecovery},
    organisations::{NewOrganisation, NewPerson, Organisation, Person, Team},
    Store,
};

use crate::{
    auth::password::{self, Secret},
    learning, ServiceError,
};

/// The demo organisation's short name.
pub const DEMO_SLUG: &str = "harbour";
/// Every demo account's password (published: the demo is refused in production).
pub const DEMO_PASSWORD: &str = "goodwill-demo";
/// Every front-line demo account's tablet PIN.
pub const DEMO_PIN: &str = "2468";

/// What the seed made, for the command line to print.
pub struct DemoSummary {
    /// The demo organisation, new or found.
    pub organisation: Organisation,
    /// How many people it has.
    pub people: usize,
    /// Recoveries logged by this run (0 when it was already there).
    pub recoveries: usize,
    /// True when the demo organisation was there already and nothing was written.
    pub already_present: bool,
    /// (username, what they can do) for the README and the start-up banner.
    pub sign_ins: Vec<(String, String)>,
}

struct HotelPlan {
    name: &'static str,
    zone: Tz,
    currency: Currency,
    /// Recoveries on an ordinary day.
    daily: (u32, u32),
}

const HOTELS: [HotelPlan; 3] = [
    HotelPlan {
        name: "Lisbon Riverside",
        zone: Europe::Lisbon,
        currency: Currency::EUR,
        daily: (3, 7),
    },
    HotelPlan {
        name: "London Harbour",
        zone: Europe::London,
        currency: Currency::GBP,
        daily: (4, 8),
    },
    HotelPlan {
        name: "New York Pier",
        zone: America::New_York,
        currency: Currency::USD,
        daily: (4, 9),
    },
];

/// (team name, default touchpoint, head count, share of recoveries in percent)
const TEAMS: [(&str, &str, usize, u32); 4] = [
    ("Front desk", "front-desk", 6, 40),
    ("Housekeeping", "housekeeping", 6, 25),
    ("Food and beverage", "restaurant", 5, 25),
    ("Concierge", "concierge", 3, 10),
];

/// The reason a supervisor gives when the seed denies a request's excess.
const DENIAL: &str = "Over what this situation warranted; an apology and a drink would do";

const FIRST_NAMES: [&str; 30] = [
    "Ana", "Tomás", "Inês", "Rui", "Marta", "João", "Beatriz", "Duarte", "Carla", "Hugo", "Olivia",
    "James", "Amelia", "Oliver", "Isla", "Harry", "Priya", "Samuel", "Grace", "Kwame", "Maya",
    "Diego", "Aisha", "Ethan", "Sofia", "Lucas", "Chloe", "Mateo", "Hannah", "Noah",
];
const LAST_NAMES: [&str; 20] = [
    "Silva", "Costa", "Ferreira", "Pereira", "Santos", "Okafor", "Patel", "Walker", "Hughes",
    "Murphy", "Nguyen", "Garcia", "Kim", "Rossi", "Haddad", "Mensah", "Novak", "Fischer", "Reyes",
    "Cohen",
];

/// Builds the demo organisation unless it is already there. `today` anchors the 90 days.
#[tracing::instrument(name = "demo::seed_demo", skip_all, fields(seed = seed, days = days))]
pub async fn seed_demo(
    store: &Store,
    seed: u64,
    days: u32,
    now: DateTime<Utc>,
) -> Result<DemoSummary, ServiceError> {
    if let Some(organisation) = store.organisation_by_slug(DEMO_SLUG).await? {
        let people = store.people(organisation.id).await?.len();
        return Ok(DemoSummary {
            organisation,
            people,
            recoveries: 0,
            already_present: true,
            sign_ins: sign_ins(),
        });
    }
    let mut rng = StdRng::seed_from_u64(seed);
    // Everyone in the demo shares one password and one PIN; hash each once.
    let password_hash = hashed(Secret::new(DEMO_PASSWORD)).await?;
    let pin_hash = hashed(Secret::new(DEMO_PIN)).await?;
    let setup_time = now - Duration::days(i64::from(days) + 1);

    let organisation = store
        .create_organisation(
            &NewOrganisation {
                name: "Harbour Hotels",
                slug: DEMO_SLUG,
                industry: Industry::Hotel,
                currency: Currency::EUR,
                time_zone: Europe::Lisbon,
            },
            setup_time,
        )
        .await?;
    let org = organisation.id;
    let categories = store.taxonomy_codes(org, TaxonomyKind::Category).await?;

    let mut sites = Vec::new();
    let mut name_index = 0usize;
    let mut next_name = || {
        let first = FIRST_NAMES[name_index % FIRST_NAMES.len()];
        let last = LAST_NAMES[(name_index * 7 + name_index / FIRST_NAMES.len()) % LAST_NAMES.len()];
        name_index += 1;
        (
            format!("{first} {last}"),
            format!("{}.{}", ascii_lower(first), ascii_lower(last)),
        )
    };

    for (hotel_index, plan) in HOTELS.iter().enumerate() {
        let zone = plan.zone;
        let location = store
            .create_location(org, plan.name, zone, plan.currency, setup_time)
            .await?;
        let mut teams = Vec::new();
        for (team_index, (team_name, touchpoint, head_count, share)) in TEAMS.iter().enumerate() {
            let team = store
                .create_team(org, location.id, team_name, Some(touchpoint), setup_time)
                .await?;
            let mut members = Vec::new();
            for member in 0..*head_count {
                let (display_name, mut username) = next_name();
                // The first member of front desk and housekeeping leads the team as supervisor;
                // the concierge lead is the hotel's manager (process owner).
                let role = match (team_index, member) {
                    (0 | 1, 0) => Role::Supervisor,
                    (3, 0) => Role::Manager,
                    _ => Role::Staff,
                };
                if hotel_index == 0 && team_index == 0 && member == 1 {
                    username = "staff.lisbon".to_string();
                } else if hotel_index == 0 && team_index == 0 && member == 0 {
                    username = "supervisor.lisbon".to_string();
                } else if hotel_index == 0 && team_index == 3 && member == 0 {
                    username = "manager.lisbon".to_string();
                } else if hotel_index == 1 && team_index == 3 && member == 0 {
                    username = "manager.london".to_string();
                }
                let person = store
                    .create_person(
                        &NewPerson {
                            organisation_id: org,
                            location_id: location.id,
                            team_id: Some(team.id),
                            display_name: &display_name,
                            username: &username,
                            email: None,
                            password_hash: Some(&password_hash),
                            pin_hash: Some(&pin_hash),
                        },
                        setup_time,
                    )
                    .await?;
                store
                    .grant_role(org, person.id, Role::Staff, Some(location.id), setup_time)
                    .await?;
                if role != Role::Staff {
                    store
                        .grant_role(org, person.id, role, Some(location.id), setup_time)
                        .await?;
                }
                members.push((person, role));
            }
            teams.push(TeamPlan {
                team,
                touchpoint,
                share: *share,
                members,
            });
        }
        sites.push(Site {
            location_id: location.id,
            zone,
            daily: plan.daily,
            teams,
        });
    }

    // Organisation-wide people: a leader who reads the monthly summary, and an admin.
    let lisbon = sites[0].location_id;
    for (username, display_name, role) in [
        ("leader", "Helena Marques", Role::Leader),
        ("admin", "Paulo Admin", Role::Admin),
    ] {
        let person = store
            .create_person(
                &NewPerson {
                    organisation_id: org,
                    location_id: lisbon,
                    team_id: None,
                    display_name,
                    username,
                    email: None,
                    password_hash: Some(&password_hash),
                    pin_hash: None,
                },
                setup_time,
            )
            .await?;
        store
            .grant_role(org, person.id, role, None, setup_time)
            .await?;
    }

    // Policies: organisation default < team/role < personal override, plus a boost.
    store
        .set_policy(
            org,
            &BudgetPolicy::new(PolicyScope::Organisation, 5_000, Some(10_000)).map_err(broken)?,
            setup_time,
        )
        .await?;
    store
        .set_policy(
            org,
            &BudgetPolicy::new(PolicyScope::Role(Role::Supervisor), 15_000, Some(30_000))
                .map_err(broken)?,
            setup_time,
        )
        .await?;
    for site in &sites {
        let concierge = &site.teams[3].team;
        store
            .set_policy(
                org,
                &BudgetPolicy::new(PolicyScope::Team(concierge.id), 8_000, Some(15_000))
                    .map_err(broken)?,
                setup_time,
            )
            .await?;
    }
    let senior_agent = &sites[2].teams[0].members[1].0;
    store
        .set_policy(
            org,
            &BudgetPolicy::new(PolicyScope::Person(senior_agent.id), 12_000, Some(20_000))
                .map_err(broken)?,
            setup_time,
        )
        .await?;
    let london_front_desk = &sites[1].teams[0].team;
    let today_london = local_date(now, sites[1].zone);
    store
        .add_boost(
            org,
            &Boost::new(
                PolicyScope::Team(london_front_desk.id),
                today_london - Duration::days(20),
                today_london + Duration::days(10),
                2_500,
            )
            .map_err(broken)?,
            "Lobby renovation: expect more check-in delays",
            setup_time,
        )
        .await?;

    // Two people per hotel never use their budget: a sign of under-empowerment to surface.
    let quiet: Vec<i64> = sites
        .iter()
        .flat_map(|site| [site.teams[1].members[4].0.id, site.teams[2].members[3].0.id])
        .collect();

    let mut recorded = 0usize;
    let mut key = 0u64;
    for day_offset in (0..days).rev() {
        for (site_index, site) in sites.iter().enumerate() {
            let date = local_date(now, site.zone) - Duration::days(i64::from(day_offset));
            let mut count = rng.gen_range(site.daily.0..=site.daily.1);
            // The recurring failure: rooms not ready at check-in in London, growing lately.
            let recurring = if site_index == 1 {
                match day_offset {
                    0..=29 => rng.gen_range(1..=3),
                    30..=59 => rng.gen_range(0..=2),
                    _ => rng.gen_range(0..=1),
                }
            } else {
                0
            };
            count += recurring;
            for n in 0..count {
                let Some(occurred_at) =
                    local_instant(site.zone, date, rng.gen_range(7 * 60..22 * 60))
                else {
                    continue;
                };
                if occurred_at >= now {
                    continue;
                }
                let team = if n < recurring {
                    &site.teams[0]
                } else {
                    pick_team(&mut rng, &site.teams)
                };
                let candidates: Vec<&(Person, Role)> = team
                    .members
                    .iter()
                    .filter(|(p, _)| !quiet.contains(&p.id))
                    .collect();
                let Some((person, _)) = candidates.choose(&mut rng).copied() else {
                    continue;
                };
                let category = if n < recurring {
                    pick_category(&categories, &["room-not-ready"], &mut rng)
                } else {
                    pick_category(&categories, team_categories(team.touchpoint), &mut rng)
                };
                let recovery = demo_recovery(&mut rng, team.touchpoint, category, occurred_at);
                key += 1;
                let recorded_at = occurred_at + Duration::minutes(rng.gen_range(1..15));
                let receipt = store
                    .record_recovery(
                        &RecordRecovery {
                            organisation_id: org,
                            person_id: person.id,
                            recorded_by: person.id,
                            idempotency_key: format!("demo-{seed}-{key}"),
                            recovery,
                            fingerprint: None,
                        },
                        recorded_at,
                    )
                    .await?;
                recorded += 1;

                let supervisor = site
                    .teams
                    .iter()
                    .flat_map(|t| t.members.iter())
                    .find(|(p, role)| *role == Role::Supervisor && p.id != person.id)
                    .map(|(p, _)| p.id)
                    .ok_or_else(|| {
                        ServiceError::Internal("every demo hotel has a supervisor".into())
                    })?;
                let decided_at = recorded_at + Duration::minutes(rng.gen_range(10..180));
                // Recent requests stay pending so the approval queue has something in it.
                if receipt.excess_minor > 0 && day_offset >= 2 {
                    let roll = rng.gen_range(0..100);
                    let resolution = if roll < 70 {
                        Resolution::ApproveAll
                    } else if roll < 90 && receipt.excess_minor >= 2 {
                        Resolution::ApprovePart {
                            amount: receipt.excess_minor / 2,
                        }
                    } else {
                        Resolution::Deny {
                            reason: DENIAL.into(),
                        }
                    };
                    store
                        .resolve_pending(
                            &ResolvePending {
                                organisation_id: org,
                                recovery_id: receipt.recovery_id,
                                decided_by: supervisor,
                                idempotency_key: format!("demo-{seed}-{key}-decision"),
                                resolution,
                            },
                            decided_at,
                        )
                        .await?;
                } else if receipt.excess_minor == 0
                    && receipt.amount_minor > 0
                    && rng.gen_range(0..150) == 0
                {
                    store
                        .reverse_recovery(
                            &ReverseRecovery {
                                organisation_id: org,
                                recovery_id: receipt.recovery_id,
                                reversed_by: supervisor,
                                idempotency_key: format!("demo-{seed}-{key}-reversal"),
                                reason: "Logged twice by mistake".into(),
                            },
                            decided_at,
                        )
                        .await?;
                }
            }
        }
    }

    // The history is loaded: let the learning loop look at the last window, as it would have
    // after each of those recoveries.
    let today = local_date(now, organisation.time_zone);
    learning::scan(store, org, today, now).await?;

    let people = store.people(org).await?.len();
    Ok(DemoSummary {
        organisation,
        people,
        recoveries: recorded,
        already_present: false,
        sign_ins: sign_ins(),
    })
}

struct TeamPlan {
    team: Team,
    touchpoint: &'static str,
    share: u32,
    members: Vec<(Person, Role)>,
}

struct Site {
    location_id: i64,
    zone: Tz,
    daily: (u32, u32),
    teams: Vec<TeamPlan>,
}

/// A fixed value of the seed the domain refused: a bug in this module.
fn broken(error: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("demo seed: {error}"))
}

async fn hashed(secret: Secret) -> Result<String, ServiceError> {
    password::hash(secret)
        .await
        .map_err(|e| ServiceError::Internal(format!("hashing a secret: {e}")))
}

fn sign_ins() -> Vec<(String, String)> {
    [
        (
            "staff.lisbon",
            "front desk, Lisbon Riverside: logs recoveries",
        ),
        (
            "supervisor.lisbon",
            "front desk lead, Lisbon Riverside: approvals, tablet set-up",
        ),
        (
            "manager.lisbon",
            "concierge lead and process owner (manager), Lisbon Riverside",
        ),
        (
            "manager.london",
            "concierge lead and process owner (manager), London Harbour",
        ),
        ("leader", "leadership, organisation-wide"),
        ("admin", "administration: people, roles, lists, budgets"),
    ]
    .iter()
    .map(|(u, what)| (u.to_string(), what.to_string()))
    .collect()
}

fn ascii_lower(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'á' | 'à' | 'ã' | 'â' => 'a',
            'é' | 'ê' => 'e',
            'í' => 'i',
            'ó' | 'ô' | 'õ' => 'o',
            'ú' => 'u',
            'ç' => 'c',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

/// The instant of a local wall-clock time (minutes after midnight); None inside a DST gap.
fn local_instant(zone: Tz, date: NaiveDate, minutes: u32) -> Option<DateTime<Utc>> {
    let time = NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0)?;
    zone.from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

fn pick_team<'a>(rng: &mut StdRng, teams: &'a [TeamPlan]) -> &'a TeamPlan {
    let total: u32 = teams.iter().map(|t| t.share).sum();
    let mut roll = rng.gen_range(0..total);
    for team in teams {
        if roll < team.share {
            return team;
        }
        roll -= team.share;
    }
    &teams[0]
}

/// Category codes each team meets most (matched against the organisation's taxonomy).
fn team_categories(touchpoint: &str) -> &'static [&'static str] {
    match touchpoint {
        "front-desk" => &[
            "slow-check-in",
            "billing-error",
            "reservation-error",
            "room-not-ready",
            "noise",
        ],
        "housekeeping" => &[
            "housekeeping-miss",
            "maintenance",
            "amenity-missing",
            "noise",
        ],
        "restaurant" => &[
            "fnb-order-wrong",
            "fnb-slow-service",
            "staff-attitude",
            "billing-error",
        ],
        _ => &[
            "reservation-error",
            "amenity-missing",
            "wi-fi",
            "staff-attitude",
        ],
    }
}

fn pick_category<'a>(available: &'a [String], wanted: &[&str], rng: &mut StdRng) -> &'a str {
    let matching: Vec<&String> = available
        .iter()
        .filter(|code| wanted.contains(&code.as_str()))
        .collect();
    matching
        .choose(rng)
        .map(|c| c.as_str())
        .or_else(|| available.choose(rng).map(|c| c.as_str()))
        .unwrap_or("other")
}

fn demo_recovery(
    rng: &mut StdRng,
    touchpoint: &str,
    category: &str,
    occurred_at: DateTime<Utc>,
) -> NewRecovery {
    let (remedy, amount) = match rng.gen_range(0..100) {
        0..=27 => (RemedyType::FixOrApology, 0),
        28..=47 => (RemedyType::ComplimentaryItem, rng.gen_range(1..=5) * 500),
        48..=60 => (RemedyType::Amenity, rng.gen_range(2..=8) * 500),
        61..=74 => (RemedyType::Discount, rng.gen_range(2..=12) * 500),
        75..=84 => (RemedyType::WaivedFee, rng.gen_range(2..=10) * 500),
        85..=93 => (RemedyType::Refund, rng.gen_range(4..=24) * 500),
        _ => (RemedyType::Upgrade, rng.gen_range(6..=30) * 500),
    };
    let reaction = match rng.gen_range(0..100) {
        0..=29 => Reaction::Delighted,
        30..=74 => Reaction::Satisfied,
        75..=91 => Reaction::Neutral,
        _ => Reaction::StillUnhappy,
    };
    let severity = match rng.gen_range(0..100) {
        0..=34 => Severity::Low,
        35..=79 => Severity::Medium,
        80..=95 => Severity::High,
        _ => Severity::Critical,
    };
    let cause = match category {
        "room-not-ready" | "slow-check-in" => CauseKind::Process,
        "maintenance" => CauseKind::Product,
        "billing-error" | "reservation-error" | "wi-fi" => CauseKind::System,
        "staff-attitude" => CauseKind::People,
        _ => [
            CauseKind::Process,
            CauseKind::People,
            CauseKind::Supplier,
            CauseKind::CustomerVariability,
        ][rng.gen_range(0..4)],
    };
    let description = match category {
        "room-not-ready" => "Guest arrived at 15:00 and the room was still being cleaned",
        "slow-check-in" => "Queue at check-in over 20 minutes",
        "billing-error" => "Minibar charged twice on the bill",
        "reservation-error" => "Booking showed a twin instead of a double",
        "noise" => "Noise from the corridor late at night",
        "housekeeping-miss" => "Towels not replaced after request",
        "maintenance" => "Air conditioning not cooling",
        "amenity-missing" => "Cot promised at booking was not in the room",
        "fnb-order-wrong" => "Allergy note missed on the order",
        "fnb-slow-service" => "Main course took 50 minutes",
        "staff-attitude" => "Guest felt brushed off at the desk",
        "wi-fi" => "Wi-Fi dropped during a video call",
        _ => "Guest's experience fell short; made it right on the spot",
    };
    let follow_up = rng.gen_range(0..100) < 15;
    NewRecovery {
        occurred_at,
        touchpoint: touchpoint.to_string(),
        channel: if rng.gen_range(0..100) < 85 {
            Channel::InPerson
        } else {
            Channel::Phone
        },
        customer_ref: Some(format!(
            "Room {}{:02}",
            rng.gen_range(1..=9),
            rng.gen_range(1..=40)
        )),
        category: category.to_string(),
        severity,
        description: description.to_string(),
        remedy,
        amount_minor: amount,
        reaction,
        cause: Some(cause),
        cause_note: None,
        follow_up_due: follow_up.then(|| occurred_at + Duration::hours(12)),
    }
}
