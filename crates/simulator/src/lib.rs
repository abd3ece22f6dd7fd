//! The simulator: it searches for a sequence of use cases that breaks one of Goodwill's
//! promises, the way a fuzzer searches for a crash.
//!
//! From a seed it builds two organisations with several locations in different currencies
//! and time zones, people holding random role grants (location-scoped admins and managers
//! included) and a random budget policy. It then generates a sequence of actions — logging
//! (back-dated, huge, zero, malformed, replayed, with another person's key), deciding all,
//! part or deny (own requests included, other locations' and organisations' too),
//! reversing, setting policies and boosts (own included), granting and taking away roles,
//! opening improvement items and linking recoveries to them (other locations' and
//! organisations' included), reading every screen and export (`views`), taking and ending
//! turns on shared tablets and sending entries captured offline from the wrong tablet, long
//! after their turn, or under somebody else's turn (`tablets`) —
//! each by a random person of either organisation, with the clock moving on between them.
//! Every action runs through the services layer, exactly as the server functions call it.
//!
//! After every step it checks:
//! * the store's ledger invariants (`Store::ledger_violations`): budget days equal their
//!   ledger, nothing overspent, nobody acted on their own recovery, nothing posted to a
//!   closed day without a supervisor, nothing crosses organisations;
//! * that every acknowledged recovery is stored exactly once, and nothing else is;
//! * that no input produced an internal error;
//! * that every row the approval queue shows is of the reader's organisation and of a
//!   location they supervise, and that everything any screen or export shows is of the
//!   reader's organisation and within the scope of the role it is read with (`views`);
//! * that no figure adds two currencies (`views::check_currencies`);
//! * that an entry captured offline is recorded only for the person whose turn on a tablet
//!   of that location covered its capture time, once per key (`tablets`);
//! * for every action that succeeded, that the actor was allowed to do it — stated here
//!   independently of `domain::access` (the scope they hold, never on themselves, a rank
//!   above everyone a budget applies to, no grant beyond their own scope).
//!
//! The same seed always generates the same actions. A failure names the seed and the step,
//! and [`shrink`] removes actions that are not needed to reproduce it.

use std::collections::HashMap;

mod tablets;
mod views;

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{
    money::Currency,
    org::{Industry, Role, RoleGrant},
    policy::{BudgetPolicy, PolicyScope},
    recovery::RecoveryForm,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use services::{events::LedgerEvents, Actor, ServiceError};
use store::{
    organisations::{NewOrganisation, NewPerson},
    Store,
};

/// What to pick from a list of things that exist when the action runs: taken modulo the
/// list's length then, so removing earlier actions (shrinking) keeps every action valid.
type Pick = u64;

#[derive(Clone, Debug)]
pub enum Action {
    /// Time passes.
    Advance { minutes: i64 },
    Log {
        actor: Pick,
        /// 0–5: a new key; 6–7: a key this person used before, same form; 8: the key of
        /// someone else's recovery; 9: a key used before, different form.
        key: u8,
        /// Minutes before now (negative: in the future).
        minutes_ago: i64,
        amount: String,
        remedy: Pick,
        category: Pick,
    },
    Decide {
        actor: Pick,
        /// A recovery of either organisation.
        target: Pick,
        /// 0 approve, 1 part, 2 deny, 3 nonsense.
        decision: u8,
        amount: String,
        reason: bool,
    },
    Reverse {
        actor: Pick,
        target: Pick,
        reason: bool,
    },
    SetPolicy {
        actor: Pick,
        scope: ScopePick,
        daily: String,
        cap: String,
    },
    AddBoost {
        actor: Pick,
        scope: ScopePick,
        extra: String,
        days: i64,
    },
    /// A sampled review's verdict on a recovery of either organisation (own included).
    SpotCheck {
        actor: Pick,
        target: Pick,
        verdict: u8,
    },
    /// Read the approval queue: every row must be of the actor's organisation and of a
    /// location they supervise.
    ReadQueue { actor: Pick },
    /// Read a screen or an export (`views::VIEWS` of them), with a location of either
    /// organisation where the view takes one (None: the whole organisation).
    Read {
        actor: Pick,
        view: u8,
        location: Option<Pick>,
    },
    /// Open an improvement item for a recovery of either organisation, at a location of
    /// either organisation (None: every location).
    CreateItem {
        actor: Pick,
        target: Pick,
        location: Option<Pick>,
    },
    /// Link a recovery of either organisation to an item of either organisation.
    LinkItem {
        actor: Pick,
        item: Pick,
        target: Pick,
    },
    ChangeRole {
        actor: Pick,
        person: Pick,
        role: Role,
        /// None: organisation-wide; Some: a location of either organisation.
        location: Option<Pick>,
        grant: bool,
    },
    /// A customer's request: erase the personal data of every recovery naming a room
    /// (`room % ROOMS`), as the actor (an admin within their scope, or refused).
    EraseCustomer { actor: Pick, room: u8 },
    /// Someone of a tablet's location enters their PIN; the running turn ends.
    TakeTurn { tablet: Pick, person: Pick },
    /// "Done — back to the picker" on a tablet.
    EndTurn { tablet: Pick },
    /// An entry captured offline `offset_minutes` after a turn (of either organisation)
    /// began, sent now from a tablet of either organisation (None: a device with no
    /// session); `again`: an entry sent before, sent again (its answer was lost).
    SendDeferred {
        turn: Pick,
        from: Option<Pick>,
        offset_minutes: i64,
        amount: String,
        category: Pick,
        again: bool,
    },
}

#[derive(Clone, Copy, Debug)]
pub enum ScopePick {
    Organisation,
    Role(Role),
    /// A team of either organisation.
    Team(Pick),
    /// A person of either organisation.
    Person(Pick),
    /// The actor themselves.
    Myself,
    /// The actor's own team.
    MyTeam,
}

/// A broken promise: where, and what.
#[derive(Clone, Debug)]
pub struct Failure {
    pub seed: u64,
    /// Index of the action after which the check failed.
    pub step: usize,
    pub action: String,
    pub problem: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seed {} step {}: {}\n  action: {}",
            self.seed, self.step, self.problem, self.action
        )
    }
}

/// What a run did, for the report.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub steps: usize,
    pub succeeded: usize,
    pub refused: usize,
    pub recoveries: usize,
}

impl Tally {
    /// Adds another run's counts to these.
    pub fn add(&mut self, other: &Tally) {
        self.steps += other.steps;
        self.succeeded += other.succeeded;
        self.refused += other.refused;
        self.recoveries += other.recoveries;
    }
}

const ROLES: [Role; 5] = [
    Role::Staff,
    Role::Supervisor,
    Role::Manager,
    Role::Leader,
    Role::Admin,
];

fn role_pick(rng: &mut StdRng) -> Role {
    match rng.gen_range(0..20) {
        0..=8 => Role::Staff,
        9..=12 => Role::Supervisor,
        13..=14 => Role::Manager,
        15 => Role::Leader,
        _ => Role::Admin,
    }
}

fn amount_text(rng: &mut StdRng) -> String {
    match rng.gen_range(0..20) {
        0 => "0".into(),
        1 => "10000.01".into(),
        2 => "92233720368547758.07".into(),
        3 => "-5".into(),
        4 => "abc".into(),
        5 => String::new(),
        6 => "1e3".into(),
        7 => "12.345".into(),
        8 => "9999.99".into(),
        _ => format!("{}.{:02}", rng.gen_range(0..120), rng.gen_range(0..100)),
    }
}

/// The actions a seed stands for.
pub fn generate(seed: u64, steps: usize) -> Vec<Action> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5EED_F00D_0000_4111);
    let mut actions = Vec::with_capacity(steps);
    for _ in 0..steps {
        let action = match rng.gen_range(0..150) {
            0..=9 => Action::Advance {
                minutes: match rng.gen_range(0..4) {
                    0 => rng.gen_range(1..60),
                    1 => rng.gen_range(60..600),
                    2 => rng.gen_range(600..1_500),
                    _ => rng.gen_range(1..30),
                },
            },
            10..=49 => Action::Log {
                actor: rng.gen(),
                key: rng.gen_range(0..10),
                minutes_ago: match rng.gen_range(0..10) {
                    0..=4 => rng.gen_range(0..120),
                    5..=7 => rng.gen_range(120..(7 * 24 * 60)),
                    8 => 7 * 24 * 60 + rng.gen_range(1..600),
                    _ => -rng.gen_range(6..120),
                },
                amount: amount_text(&mut rng),
                remedy: rng.gen(),
                category: rng.gen(),
            },
            50..=66 => Action::Decide {
                actor: rng.gen(),
                target: rng.gen(),
                decision: rng.gen_range(0..4),
                amount: amount_text(&mut rng),
                reason: rng.gen_bool(0.8),
            },
            67..=74 => Action::Reverse {
                actor: rng.gen(),
                target: rng.gen(),
                reason: rng.gen_bool(0.9),
            },
            75..=84 => Action::SetPolicy {
                actor: rng.gen(),
                scope: scope_pick(&mut rng),
                daily: amount_text(&mut rng),
                cap: if rng.gen_bool(0.6) {
                    String::new()
                } else {
                    amount_text(&mut rng)
                },
            },
            85..=86 => Action::ReadQueue { actor: rng.gen() },
            87 => Action::SpotCheck {
                actor: rng.gen(),
                target: rng.gen(),
                verdict: rng.gen_range(0..3),
            },
            88..=91 => Action::AddBoost {
                actor: rng.gen(),
                scope: scope_pick(&mut rng),
                extra: amount_text(&mut rng),
                days: rng.gen_range(-2..5),
            },
            92..=93 => Action::EraseCustomer {
                actor: rng.gen(),
                room: rng.gen(),
            },
            100..=129 => Action::Read {
                actor: rng.gen(),
                view: rng.gen_range(0..views::VIEWS),
                location: rng.gen_bool(0.5).then(|| rng.gen()),
            },
            130..=133 => Action::CreateItem {
                actor: rng.gen(),
                target: rng.gen(),
                location: rng.gen_bool(0.7).then(|| rng.gen()),
            },
            134..=137 => Action::LinkItem {
                actor: rng.gen(),
                item: rng.gen(),
                target: rng.gen(),
            },
            140..=142 => Action::TakeTurn {
                tablet: rng.gen(),
                person: rng.gen(),
            },
            143 => Action::EndTurn { tablet: rng.gen() },
            144..=149 => Action::SendDeferred {
                turn: rng.gen(),
                from: rng.gen_bool(0.9).then(|| rng.gen()),
                offset_minutes: match rng.gen_range(0..6) {
                    0..=3 => rng.gen_range(0..30),
                    4 => rng.gen_range(-10..0),
                    _ => rng.gen_range(30..600),
                },
                amount: amount_text(&mut rng),
                category: rng.gen(),
                again: rng.gen_bool(0.2),
            },
            _ => Action::ChangeRole {
                actor: rng.gen(),
                person: rng.gen(),
                role: role_pick(&mut rng),
                location: if rng.gen_bool(0.3) {
                    None
                } else {
                    Some(rng.gen())
                },
                grant: rng.gen_bool(0.75),
            },
        };
        actions.push(action);
    }
    actions
}

fn scope_pick(rng: &mut StdRng) -> ScopePick {
    match rng.gen_range(0..12) {
        0 => ScopePick::Organisation,
        1 => ScopePick::Role(ROLES[rng.gen_range(0..ROLES.len())]),
        2..=3 => ScopePick::Team(rng.gen()),
        4..=7 => ScopePick::Person(rng.gen()),
        8..=10 => ScopePick::Myself,
        _ => ScopePick::MyTeam,
    }
}

/// One person of the simulated world.
#[derive(Clone, Debug)]
struct Someone {
    organisation_id: i64,
    person_id: i64,
    location_id: i64,
    team_id: Option<i64>,
}

/// A recovery the simulator was told is saved.
#[derive(Clone, Debug)]
struct Acknowledged {
    organisation_id: i64,
    recovery_id: i64,
    person: usize,
    key: String,
    form: RecoveryForm,
}

struct World {
    organisations: Vec<i64>,
    people: Vec<Someone>,
    locations: Vec<(i64, i64)>,
    teams: Vec<(i64, i64, i64)>,
    categories: HashMap<i64, Vec<String>>,
    touchpoints: HashMap<i64, Vec<String>>,
    acknowledged: Vec<Acknowledged>,
    /// (organisation, key) → index in `acknowledged`.
    by_key: HashMap<(i64, String), usize>,
    now: DateTime<Utc>,
    keys: u64,
    /// Each location's currency code.
    currencies: HashMap<i64, &'static str>,
    /// Improvement items: (organisation, item).
    items: Vec<(i64, i64)>,
    /// One shared tablet per location, the turns taken on them, and the entries sent from
    /// their outboxes.
    tablets: Vec<tablets::Tablet>,
    turns: Vec<tablets::Turn>,
    sent: Vec<tablets::Sent>,
    /// Recoveries whose personal data was erased on a customer's request.
    erased: std::collections::HashSet<i64>,
}

/// The customer references simulated recoveries name: few, so that the same room turns up
/// at every location of both organisations.
pub(crate) const ROOMS: u8 = 4;

/// The customer reference of room `n`.
pub(crate) fn room(n: u64) -> String {
    format!("Room {}", n % u64::from(ROOMS) + 1)
}

const PLACES: [(&str, &str, &str); 4] = [
    ("Lisbon", "EUR", "Europe/Lisbon"),
    ("London", "GBP", "Europe/London"),
    ("New York", "USD", "America/New_York"),
    ("Tokyo", "JPY", "Asia/Tokyo"),
];

const REMEDIES: [&str; 6] = [
    "fix-or-apology",
    "complimentary-item",
    "discount",
    "refund",
    "upgrade",
    "waived-fee",
];

async fn build_world(store: &Store, seed: u64, attempt: u32) -> Result<World, String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let fail = |e: store::StoreError| format!("setting up the world: {e}");
    // Around a change of summer time now and then, and across midnights.
    let start = Utc.with_ymd_and_hms(2026, 3, 27, 18, 0, 0).unwrap()
        + Duration::minutes(rng.gen_range(0..(60 * 24 * 240)));
    let mut world = World {
        organisations: Vec::new(),
        people: Vec::new(),
        locations: Vec::new(),
        teams: Vec::new(),
        categories: HashMap::new(),
        touchpoints: HashMap::new(),
        acknowledged: Vec::new(),
        by_key: HashMap::new(),
        now: start,
        keys: 0,
        currencies: HashMap::new(),
        items: Vec::new(),
        tablets: Vec::new(),
        turns: Vec::new(),
        sent: Vec::new(),
        erased: std::collections::HashSet::new(),
    };
    for letter in ["a", "b"] {
        let slug = format!("sim-{seed}-{attempt}-{letter}");
        let organisation = store
            .create_organisation(
                &NewOrganisation {
                    name: &format!("Simulated {letter}"),
                    slug: &slug,
                    industry: Industry::Hotel,
                    currency: Currency::parse("EUR").unwrap(),
                    time_zone: domain::budget_day::parse_time_zone("Europe/Lisbon").unwrap(),
                },
                start,
            )
            .await
            .map_err(fail)?;
        let org = organisation.id;
        world.organisations.push(org);
        let taxonomy = store.taxonomy(org).await.map_err(fail)?;
        let codes = |kind: &str| -> Vec<String> {
            taxonomy
                .iter()
                .filter(|r| r.kind == kind)
                .map(|r| r.code.clone())
                .collect()
        };
        world.categories.insert(org, codes("category"));
        world.touchpoints.insert(org, codes("touchpoint"));
        let places = rng.gen_range(2..=3);
        let first = rng.gen_range(0..PLACES.len());
        let mut here = Vec::new();
        for i in 0..places {
            let (name, currency, zone) = PLACES[(first + i) % PLACES.len()];
            let location = store
                .create_location(
                    org,
                    name,
                    domain::budget_day::parse_time_zone(zone).unwrap(),
                    Currency::parse(currency).unwrap(),
                    start,
                )
                .await
                .map_err(fail)?;
            world.locations.push((org, location.id));
            world.currencies.insert(location.id, currency);
            here.push(location.id);
            for team in 0..rng.gen_range(1..=2) {
                let team = store
                    .create_team(org, location.id, &format!("Team {team}"), None, start)
                    .await
                    .map_err(fail)?;
                world.teams.push((org, location.id, team.id));
            }
        }
        let count = rng.gen_range(7..=11);
        for n in 0..count {
            let location_id = here[n % here.len()];
            let teams: Vec<i64> = world
                .teams
                .iter()
                .filter(|(_, l, _)| *l == location_id)
                .map(|(_, _, t)| *t)
                .collect();
            let team_id = if rng.gen_bool(0.8) {
                Some(teams[rng.gen_range(0..teams.len())])
            } else {
                None
            };
            let username = format!("p{n}");
            let person = store
                .create_person(
                    &NewPerson {
                        organisation_id: org,
                        location_id,
                        team_id,
                        display_name: &format!("Person {letter}{n}"),
                        username: &format!("{slug}-{username}"),
                        email: None,
                        password_hash: None,
                        pin_hash: None,
                    },
                    start,
                )
                .await
                .map_err(fail)?;
            // Everyone works somewhere; some hold more.
            let first_role = if n < here.len() {
                Role::Staff
            } else {
                role_pick(&mut rng)
            };
            let wide = rng.gen_bool(0.25);
            store
                .grant_role(
                    org,
                    person.id,
                    first_role,
                    (!wide).then_some(location_id),
                    start,
                )
                .await
                .map_err(fail)?;
            if rng.gen_bool(0.3) {
                let other = here[rng.gen_range(0..here.len())];
                store
                    .grant_role(org, person.id, role_pick(&mut rng), Some(other), start)
                    .await
                    .map_err(fail)?;
            }
            world.people.push(Someone {
                organisation_id: org,
                person_id: person.id,
                location_id,
                team_id,
            });
        }
        let daily = rng.gen_range(20..200) * 100;
        let cap = rng.gen_bool(0.5).then(|| rng.gen_range(10..100) * 100);
        store
            .set_policy(
                org,
                &BudgetPolicy::new(PolicyScope::Organisation, daily, cap).unwrap(),
                start,
            )
            .await
            .map_err(fail)?;
    }
    tablets::set_up(store, &mut world).await?;
    Ok(world)
}

/// The person a pick names, and the actor the services see for them (None when the world
/// has nobody, or they were deactivated).
async fn load_actor(
    store: &Store,
    world: &World,
    choice: Pick,
) -> Result<Option<(Someone, Actor)>, String> {
    let Some(someone) = pick(&world.people, choice).cloned() else {
        return Ok(None);
    };
    let actor = Actor::load(store, someone.organisation_id, someone.person_id)
        .await
        .map_err(|e| format!("internal error loading the actor: {e}"))?;
    Ok(actor.map(|actor| (someone, actor)))
}

fn pick<T>(list: &[T], choice: Pick) -> Option<&T> {
    if list.is_empty() {
        None
    } else {
        list.get((choice % list.len() as u64) as usize)
    }
}

/// Runs one seed's actions (or a subset of them, when shrinking). `attempt` keeps each
/// run's organisations apart in a shared database.
pub async fn run(
    store: &Store,
    seed: u64,
    actions: &[Action],
    attempt: u32,
) -> Result<Tally, Failure> {
    let fail = |step: usize, action: String, problem: String| Failure {
        seed,
        step,
        action,
        problem,
    };
    let mut world = build_world(store, seed, attempt)
        .await
        .map_err(|p| fail(0, "setup".into(), p))?;
    let events = LedgerEvents::default();
    let mut tally = Tally::default();
    for (step, action) in actions.iter().enumerate() {
        let described = format!("{action:?}");
        let outcome = execute(store, &events, &mut world, action)
            .await
            .map_err(|problem| fail(step, described.clone(), problem))?;
        tally.steps += 1;
        match outcome {
            Some(true) => tally.succeeded += 1,
            Some(false) => tally.refused += 1,
            None => {}
        }
        check(store, &world)
            .await
            .map_err(|problem| fail(step, described, problem))?;
    }
    // At the end, when the ledger is fullest, everyone reads three screens or exports.
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0005_EE00_0000_0000);
    for person in 0..world.people.len() {
        for _ in 0..3 {
            let action = Action::Read {
                actor: person as Pick,
                view: rng.gen_range(0..views::VIEWS),
                location: rng.gen_bool(0.5).then(|| rng.gen()),
            };
            let described = format!("after the last step: {action:?}");
            execute(store, &events, &mut world, &action)
                .await
                .map_err(|problem| fail(actions.len(), described, problem))?;
        }
    }
    tally.recoveries = world.acknowledged.len();
    Ok(tally)
}

/// Actions that are not needed to reproduce `failure`, removed: repeatedly drop chunks
/// (halves, quarters, … single actions) while the run still fails with the same kind of
/// problem. Returns the smaller sequence and its failure.
pub async fn shrink(
    store: &Store,
    seed: u64,
    actions: &[Action],
    failure: Failure,
) -> (Vec<Action>, Failure) {
    // The same kind of problem: the same words before any colon, ids and amounts aside
    // (each attempt builds its world afresh, with new ids).
    let kind = |f: &Failure| {
        f.problem
            .split(':')
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .collect::<String>()
    };
    let wanted = kind(&failure);
    let mut best: Vec<Action> = actions[..=failure.step.min(actions.len() - 1)].to_vec();
    let mut best_failure = failure;
    let mut attempt = 1_000;
    let mut chunk = best.len().div_ceil(2).max(1);
    loop {
        let mut changed = false;
        let mut start = 0;
        while start < best.len() {
            let mut candidate = best.clone();
            let end = (start + chunk).min(candidate.len());
            candidate.drain(start..end);
            attempt += 1;
            match run(store, seed, &candidate, attempt).await {
                Err(f) if kind(&f) == wanted => {
                    candidate.truncate(f.step + 1);
                    best = candidate;
                    best_failure = f;
                    changed = true;
                }
                _ => start += chunk,
            }
        }
        if chunk == 1 && !changed {
            break;
        }
        if !changed {
            chunk = (chunk / 2).max(1);
        }
    }
    (best, best_failure)
}

fn service_refusal(error: &ServiceError) -> Result<(), String> {
    if error.is_internal() {
        Err(format!("internal error: {error:?}"))
    } else {
        Ok(())
    }
}

/// The grants a person holds now.
async fn grants(store: &Store, someone: &Someone) -> Result<Vec<RoleGrant>, String> {
    store
        .grants_of(someone.organisation_id, someone.person_id)
        .await
        .map_err(|e| format!("internal error reading grants: {e}"))
}

fn holds_at(grants: &[RoleGrant], role: Role, location_id: i64) -> bool {
    grants
        .iter()
        .any(|g| g.role >= role && (g.location_id.is_none() || g.location_id == Some(location_id)))
}

fn holds_org_wide(grants: &[RoleGrant], role: Role) -> bool {
    grants
        .iter()
        .any(|g| g.role >= role && g.location_id.is_none())
}

fn rank_at(grants: &[RoleGrant], location_id: i64) -> Option<Role> {
    grants
        .iter()
        .filter(|g| g.location_id.is_none() || g.location_id == Some(location_id))
        .map(|g| g.role)
        .max()
}

/// Runs one action. `Some(true)`: it succeeded and was allowed; `Some(false)`: refused for
/// a reason that is not ours; `None`: nothing to do. `Err`: a promise broke.
async fn execute(
    store: &Store,
    events: &LedgerEvents,
    world: &mut World,
    action: &Action,
) -> Result<Option<bool>, String> {
    let now = world.now;
    match action {
        Action::Advance { minutes } => {
            world.now += Duration::minutes(*minutes);
            Ok(None)
        }
        Action::Log {
            actor,
            key,
            minutes_ago,
            amount,
            remedy,
            category,
        } => {
            let Some((someone, acting)) = load_actor(store, world, *actor).await? else {
                return Ok(None);
            };
            let who = (*actor % world.people.len() as u64) as usize;
            let org = someone.organisation_id;
            let categories = &world.categories[&org];
            let touchpoints = &world.touchpoints[&org];
            let fresh_form = RecoveryForm {
                occurred_at: (now - Duration::minutes(*minutes_ago)).to_rfc3339(),
                touchpoint: pick(touchpoints, *category).cloned().unwrap_or_default(),
                category: pick(categories, *category).cloned().unwrap_or_default(),
                remedy: pick(&REMEDIES, *remedy)
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
                amount: amount.clone(),
                reaction: "satisfied".into(),
                description: format!("simulated at {now}"),
                customer_ref: room(*minutes_ago as u64),
                ..RecoveryForm::default()
            };
            let mine: Vec<&Acknowledged> = world
                .acknowledged
                .iter()
                .filter(|a| {
                    a.organisation_id == org
                        && world.people[a.person].person_id == someone.person_id
                })
                .collect();
            let others: Vec<&Acknowledged> = world
                .acknowledged
                .iter()
                .filter(|a| {
                    a.organisation_id == org
                        && world.people[a.person].person_id != someone.person_id
                })
                .collect();
            let (key, form) = match key {
                6 | 7 if !mine.is_empty() => {
                    let a = pick(&mine, *actor).unwrap();
                    (a.key.clone(), a.form.clone())
                }
                8 if !others.is_empty() => (pick(&others, *actor).unwrap().key.clone(), fresh_form),
                9 if !mine.is_empty() => (pick(&mine, *actor).unwrap().key.clone(), fresh_form),
                _ => {
                    world.keys += 1;
                    (format!("k{}-{}", world.keys, someone.person_id), fresh_form)
                }
            };
            // A new form names its key, so the views show which recovery they show.
            let form = if form.description.ends_with(']') {
                form
            } else {
                RecoveryForm {
                    description: format!("{} [{key}]", form.description),
                    ..form
                }
            };
            match services::ledger::log_recovery(store, events, &acting, &key, &form, now).await {
                Ok(logged) => {
                    let receipt = logged.receipt;
                    match world.by_key.get(&(org, key.clone())) {
                        Some(&index) => {
                            let earlier = &world.acknowledged[index];
                            if !receipt.replayed || receipt.recovery_id != earlier.recovery_id {
                                return Err(format!(
                                    "a repeated key was recorded again: key {key} first gave recovery {}, now {} (replayed {})",
                                    earlier.recovery_id, receipt.recovery_id, receipt.replayed
                                ));
                            }
                            if world.people[earlier.person].person_id != someone.person_id {
                                return Err(format!(
                                    "someone else's key answered with their recovery {}",
                                    earlier.recovery_id
                                ));
                            }
                        }
                        None => {
                            if receipt.replayed {
                                return Err(format!("a new key {key} was answered as a replay"));
                            }
                            let max = domain::money::max_amount_minor(
                                domain::money::DEFAULT_MAX_AMOUNT_MAJOR,
                                receipt.currency,
                            );
                            if receipt.amount_minor > max || receipt.amount_minor < 0 {
                                return Err(format!(
                                    "an amount outside 0..={max} was recorded: {}",
                                    receipt.amount_minor
                                ));
                            }
                            world
                                .by_key
                                .insert((org, key.clone()), world.acknowledged.len());
                            world.acknowledged.push(Acknowledged {
                                organisation_id: org,
                                recovery_id: receipt.recovery_id,
                                person: who,
                                key,
                                form,
                            });
                        }
                    }
                    Ok(Some(true))
                }
                Err(error) => service_refusal(&error).map(|()| Some(false)),
            }
        }
        Action::Decide {
            actor,
            target,
            decision,
            amount,
            reason,
        } => {
            let Some((someone, actor)) = load_actor(store, world, *actor).await? else {
                return Ok(None);
            };
            let Some(target) = pick(&world.acknowledged, *target).cloned() else {
                return Ok(None);
            };
            let decision = ["approve", "part", "deny", "maybe"][usize::from(*decision) % 4];
            let reason = if *reason {
                "Simulated reason".to_string()
            } else {
                String::new()
            };
            world.keys += 1;
            let key = format!("d{}", world.keys);
            let held = grants(store, &someone).await?;
            match services::ledger::resolve(
                store,
                events,
                &actor,
                services::ledger::Decision {
                    recovery_id: target.recovery_id,
                    decision,
                    amount,
                    reason,
                    idempotency_key: &key,
                },
                now,
            )
            .await
            {
                Ok((_, row, _)) => {
                    allowed_on_recovery(
                        &someone,
                        &held,
                        &world.people[target.person],
                        target.organisation_id,
                        row.location_id,
                        "decided",
                    )?;
                    Ok(Some(true))
                }
                Err(error) => service_refusal(&error).map(|()| Some(false)),
            }
        }
        Action::Reverse {
            actor,
            target,
            reason,
        } => {
            let Some((someone, actor)) = load_actor(store, world, *actor).await? else {
                return Ok(None);
            };
            let Some(target) = pick(&world.acknowledged, *target).cloned() else {
                return Ok(None);
            };
            let reason = if *reason { "Simulated reversal" } else { " " };
            world.keys += 1;
            let key = format!("v{}", world.keys);
            let held = grants(store, &someone).await?;
            match services::ledger::reverse(
                store,
                events,
                &actor,
                target.recovery_id,
                reason,
                &key,
                now,
            )
            .await
            {
                Ok((_, row, _)) => {
                    allowed_on_recovery(
                        &someone,
                        &held,
                        &world.people[target.person],
                        target.organisation_id,
                        row.location_id,
                        "reversed",
                    )?;
                    Ok(Some(true))
                }
                Err(error) => service_refusal(&error).map(|()| Some(false)),
            }
        }
        Action::SetPolicy {
            actor,
            scope,
            daily,
            cap,
        } => {
            let Some((someone, actor)) = load_actor(store, world, *actor).await? else {
                return Ok(None);
            };
            let (text, applies) = scope_text(world, &someone, *scope);
            let held = grants(store, &someone).await?;
            match services::budgets::set_policy(store, &actor, &text, daily, cap, now).await {
                Ok(_) => {
                    allowed_budget(store, world, &someone, &held, &text, applies).await?;
                    Ok(Some(true))
                }
                Err(error) => service_refusal(&error).map(|()| Some(false)),
            }
        }
        Action::AddBoost {
            actor,
            scope,
            extra,
            days,
        } => {
            let Some((someone, actor)) = load_actor(store, world, *actor).await? else {
                return Ok(None);
            };
            let (text, applies) = scope_text(world, &someone, *scope);
            let from = now.date_naive();
            let to = from + Duration::days(*days);
            let held = grants(store, &someone).await?;
            let (from, to) = (from.to_string(), to.to_string());
            match services::budgets::add_boost(
                store,
                &actor,
                services::budgets::BoostForm {
                    scope: &text,
                    from: &from,
                    to: &to,
                    extra,
                    reason: "Simulated boost",
                },
                now,
            )
            .await
            {
                Ok(_) => {
                    allowed_budget(store, world, &someone, &held, &text, applies).await?;
                    Ok(Some(true))
                }
                Err(error) => service_refusal(&error).map(|()| Some(false)),
            }
        }
        Action::SpotCheck {
            actor,
            target,
            verdict,
        } => {
            let Some((someone, actor)) = load_actor(store, world, *actor).await? else {
                return Ok(None);
            };
            let Some(target) = pick(&world.acknowledged, *target).cloned() else {
                return Ok(None);
            };
            let held = grants(store, &someone).await?;
            let verdict = ["looks-right", "needs-a-talk", "perhaps"][usize::from(*verdict) % 3];
            match services::ledger::spot_check(store, &actor, target.recovery_id, verdict, "", now)
                .await
            {
                Ok(()) => {
                    let location_id = world.people[target.person].location_id;
                    allowed_on_recovery(
                        &someone,
                        &held,
                        &world.people[target.person],
                        target.organisation_id,
                        location_id,
                        "checked",
                    )?;
                    Ok(Some(true))
                }
                Err(error) => service_refusal(&error).map(|()| Some(false)),
            }
        }
        Action::EraseCustomer { actor, room } => {
            let Some((someone, actor)) = load_actor(store, world, *actor).await? else {
                return Ok(None);
            };
            let held = grants(store, &someone).await?;
            let reference = crate::room(u64::from(*room));
            let key = domain::privacy::customer_key(&reference);
            // What the erasure may empty: the organisation's recoveries naming the room, at
            // the locations where the actor is an admin, not erased before.
            let expected: Vec<i64> = world
                .acknowledged
                .iter()
                .filter(|a| {
                    a.organisation_id == someone.organisation_id
                        && holds_at(&held, Role::Admin, world.people[a.person].location_id)
                        && domain::privacy::customer_key(&a.form.customer_ref) == key
                        && !world.erased.contains(&a.recovery_id)
                })
                .map(|a| a.recovery_id)
                .collect();
            match services::privacy::erase_subject(
                store,
                &actor,
                &reference,
                None,
                None,
                "Simulated request",
                now,
            )
            .await
            {
                Ok(erased) => {
                    if erased != expected.len() as i64 {
                        return Err(format!(
                            "an erasure emptied {erased} recoveries naming {reference}; person {} with grants {held:?} may erase exactly {expected:?}",
                            someone.person_id
                        ));
                    }
                    for id in &expected {
                        let row = store
                            .recovery(someone.organisation_id, *id)
                            .await
                            .map_err(|e| format!("internal error reading recovery {id}: {e}"))?;
                        if row.customer_ref.is_some() || !row.description.is_empty() {
                            return Err(format!(
                                "recovery {id} kept personal data after its erasure"
                            ));
                        }
                    }
                    world.erased.extend(expected);
                    Ok(Some(true))
                }
                Err(error) => {
                    if !held.iter().any(|g| g.role >= Role::Admin) {
                        service_refusal(&error).map(|()| Some(false))
                    } else {
                        Err(format!(
                            "an admin's erasure was refused: person {} with grants {held:?}: {error}",
                            someone.person_id
                        ))
                    }
                }
            }
        }
        Action::ReadQueue { actor } => {
            let Some((someone, actor)) = load_actor(store, world, *actor).await? else {
                return Ok(None);
            };
            let held = grants(store, &someone).await?;
            match services::approvals::queue(store, &actor, now).await {
                Ok(services::approvals::Queue { waiting, total }) => {
                    if (waiting.len() as i64) > total
                        || (total > services::approvals::PAGE
                            && waiting.len() as i64 != services::approvals::PAGE)
                    {
                        return Err(format!(
                            "the approval queue shows {} of {total} waiting (a page is {})",
                            waiting.len(),
                            services::approvals::PAGE
                        ));
                    }
                    for w in &waiting {
                        let row = &w.row;
                        let place = world
                            .locations
                            .iter()
                            .find(|(_, id)| *id == row.location_id);
                        if place.map(|(org, _)| *org) != Some(someone.organisation_id) {
                            return Err(format!(
                                "a view crossed organisations: person {} saw recovery {} at location {}",
                                someone.person_id, row.id, row.location_id
                            ));
                        }
                        if !holds_at(&held, Role::Supervisor, row.location_id) {
                            return Err(format!(
                                "a view left the caller's scope: person {} with grants {held:?} saw recovery {} at location {}",
                                someone.person_id, row.id, row.location_id
                            ));
                        }
                        if row.excess_minor == 0 || row.outcome.is_some() {
                            return Err(format!(
                                "the queue showed recovery {}, which waits for nothing",
                                row.id
                            ));
                        }
                        if w.recent.iter().any(|r| r.person_id != row.person_id) {
                            return Err(format!(
                                "the queue showed someone else's recoveries beside recovery {}",
                                row.id
                            ));
                        }
                    }
                    Ok(Some(true))
                }
                Err(error) => service_refusal(&error).map(|()| Some(false)),
            }
        }
        Action::Read {
            actor,
            view,
            location,
        } => {
            let Some((someone, actor)) = load_actor(store, world, *actor).await? else {
                return Ok(None);
            };
            views::read(store, world, &someone, &actor, *view, *location).await
        }
        Action::CreateItem {
            actor,
            target,
            location,
        } => {
            let Some((someone, actor)) = load_actor(store, world, *actor).await? else {
                return Ok(None);
            };
            let Some(recovery) = pick(&world.acknowledged, *target).cloned() else {
                return Ok(None);
            };
            let place = location.and_then(|p| pick(&world.locations, p)).copied();
            let form = services::improvements::NewImprovement {
                title: "Simulated item",
                problem: "Found by the simulator",
                location_id: &place.map(|(_, id)| id.to_string()).unwrap_or_default(),
                category: "",
                touchpoint: "",
                recovery_ids: &recovery.recovery_id.to_string(),
            };
            match services::improvements::create(store, &actor, now, &form).await {
                Ok(item) => {
                    let held = grants(store, &someone).await?;
                    let owner = &world.people[recovery.person];
                    let allowed_place = match place {
                        Some((org, id)) => {
                            org == someone.organisation_id && holds_at(&held, Role::Manager, id)
                        }
                        None => holds_org_wide(&held, Role::Manager),
                    };
                    if !allowed_place {
                        return Err(format!(
                            "person {} with grants {held:?} opened an improvement item at {place:?}",
                            someone.person_id
                        ));
                    }
                    linked_within(&someone, &held, &recovery, owner)?;
                    world.items.push((someone.organisation_id, item));
                    Ok(Some(true))
                }
                Err(error) => service_refusal(&error).map(|()| Some(false)),
            }
        }
        Action::LinkItem {
            actor,
            item,
            target,
        } => {
            let Some((someone, actor)) = load_actor(store, world, *actor).await? else {
                return Ok(None);
            };
            let (Some(&(item_org, item)), Some(recovery)) = (
                pick(&world.items, *item),
                pick(&world.acknowledged, *target).cloned(),
            ) else {
                return Ok(None);
            };
            let ids = recovery.recovery_id.to_string();
            match services::improvements::link(store, &actor, now, item, &ids).await {
                Ok(_) => {
                    if item_org != someone.organisation_id {
                        return Err(format!(
                            "person {} linked to improvement item {item} of another organisation",
                            someone.person_id
                        ));
                    }
                    let held = grants(store, &someone).await?;
                    linked_within(&someone, &held, &recovery, &world.people[recovery.person])?;
                    Ok(Some(true))
                }
                Err(error) => service_refusal(&error).map(|()| Some(false)),
            }
        }
        Action::ChangeRole {
            actor,
            person,
            role,
            location,
            grant,
        } => {
            let Some((someone, actor)) = load_actor(store, world, *actor).await? else {
                return Ok(None);
            };
            let Some(target) = pick(&world.people, *person).cloned() else {
                return Ok(None);
            };
            let location_id = location.and_then(|l| pick(&world.locations, l).map(|(_, id)| *id));
            let held = grants(store, &someone).await?;
            let theirs = grants(store, &target).await?;
            let text = location_id.map(|id| id.to_string()).unwrap_or_default();
            match services::roles::change_role(
                store,
                &actor,
                target.person_id,
                role.as_str(),
                &text,
                *grant,
                now,
            )
            .await
            {
                Ok(()) => {
                    if target.organisation_id != someone.organisation_id {
                        return Err("a role was changed in another organisation".into());
                    }
                    if let Some(id) = location_id {
                        if !world.locations.contains(&(someone.organisation_id, id)) {
                            return Err(format!(
                                "a role was granted at another organisation's location {id}"
                            ));
                        }
                    }
                    let wide = holds_org_wide(&held, Role::Admin);
                    let theirs_within = theirs.iter().all(|g| {
                        g.location_id
                            .is_some_and(|id| holds_at(&held, Role::Admin, id))
                    });
                    let ok = match location_id {
                        None => wide,
                        Some(id) => holds_at(&held, Role::Admin, id),
                    } && holds_at(&held, Role::Admin, target.location_id)
                        && (wide || theirs_within);
                    if !ok {
                        return Err(format!(
                            "person {} with grants {held:?} changed role {role:?} at {location_id:?} of person {} (home {}, grants {theirs:?})",
                            someone.person_id, target.person_id, target.location_id
                        ));
                    }
                    if target.person_id == someone.person_id {
                        return Err(format!(
                            "person {} changed their own roles",
                            someone.person_id
                        ));
                    }
                    Ok(Some(true))
                }
                Err(error) => service_refusal(&error).map(|()| Some(false)),
            }
        }
        Action::TakeTurn { tablet, person } => {
            tablets::take_turn(store, world, *tablet, *person).await
        }
        Action::EndTurn { tablet } => tablets::end_turn(store, world, *tablet).await,
        Action::SendDeferred {
            turn,
            from,
            offset_minutes,
            amount,
            category,
            again,
        } => {
            tablets::send_deferred(
                store,
                events,
                world,
                *turn,
                *from,
                *offset_minutes,
                amount,
                *category,
                *again,
            )
            .await
        }
    }
}

/// A decision or reversal succeeded: the actor must be of the recovery's organisation, a
/// supervisor (or above) at its location, and not its owner.
/// A recovery linked to an improvement item is of the actor's organisation and at a
/// location where they are a manager.
fn linked_within(
    actor: &Someone,
    held: &[RoleGrant],
    recovery: &Acknowledged,
    owner: &Someone,
) -> Result<(), String> {
    if recovery.organisation_id != actor.organisation_id {
        return Err(format!(
            "person {} linked recovery {} of another organisation to an improvement item",
            actor.person_id, recovery.recovery_id
        ));
    }
    if !holds_at(held, Role::Manager, owner.location_id) {
        return Err(format!(
            "person {} with grants {held:?} linked recovery {} at location {} to an improvement item",
            actor.person_id, recovery.recovery_id, owner.location_id
        ));
    }
    Ok(())
}

fn allowed_on_recovery(
    actor: &Someone,
    held: &[RoleGrant],
    owner: &Someone,
    organisation_id: i64,
    location_id: i64,
    what: &str,
) -> Result<(), String> {
    if actor.organisation_id != organisation_id {
        return Err(format!("a recovery of another organisation was {what}"));
    }
    if actor.person_id == owner.person_id {
        return Err(format!(
            "person {} {what} their own recovery",
            actor.person_id
        ));
    }
    if !holds_at(held, Role::Supervisor, location_id) {
        return Err(format!(
            "person {} with grants {held:?} {what} a recovery at location {location_id}",
            actor.person_id
        ));
    }
    Ok(())
}

/// The scope key for a pick, and whether it applies to the actor (their person, their team).
fn scope_text(world: &World, actor: &Someone, scope: ScopePick) -> (String, bool) {
    match scope {
        ScopePick::Organisation => ("organisation".into(), true),
        ScopePick::Role(role) => (format!("role:{}", role.as_str()), false),
        ScopePick::Team(choice) => match pick(&world.teams, choice) {
            Some((_, _, id)) => (format!("team:{id}"), actor.team_id == Some(*id)),
            None => ("team:0".into(), false),
        },
        ScopePick::Person(choice) => match pick(&world.people, choice) {
            Some(p) => (
                format!("person:{}", p.person_id),
                p.person_id == actor.person_id,
            ),
            None => ("person:0".into(), false),
        },
        ScopePick::Myself => (format!("person:{}", actor.person_id), true),
        ScopePick::MyTeam => match actor.team_id {
            Some(id) => (format!("team:{id}"), true),
            None => ("team:0".into(), false),
        },
    }
}

/// A budget change succeeded: check it against the rule, stated independently.
async fn allowed_budget(
    store: &Store,
    world: &World,
    actor: &Someone,
    held: &[RoleGrant],
    text: &str,
    applies_to_actor: bool,
) -> Result<(), String> {
    let org = actor.organisation_id;
    let (kind, value) = text.split_once(':').unwrap_or((text, ""));
    let bad = |why: &str| {
        Err(format!(
            "person {} with grants {held:?} set the budget of {text}: {why}",
            actor.person_id
        ))
    };
    match kind {
        "organisation" => {
            if !holds_org_wide(held, Role::Admin) {
                return bad("not an organisation-wide admin");
            }
        }
        "role" => {
            if !holds_org_wide(held, Role::Admin) {
                return bad("not an organisation-wide admin");
            }
            if held.iter().any(|g| g.role.as_str() == value) {
                return bad("a role they hold themselves");
            }
        }
        "team" | "person" => {
            if applies_to_actor {
                return bad("it applies to themselves");
            }
            let id: i64 = value
                .parse()
                .map_err(|_| format!("unreadable scope {text}"))?;
            let (location_id, members): (i64, Vec<&Someone>) = if kind == "person" {
                let Some(p) = world.people.iter().find(|p| p.person_id == id) else {
                    return bad("not a person of the world");
                };
                (p.location_id, vec![p])
            } else {
                let Some((team_org, location_id, _)) =
                    world.teams.iter().find(|(_, _, t)| *t == id)
                else {
                    return bad("not a team of the world");
                };
                if *team_org != org {
                    return bad("a team of another organisation");
                }
                (
                    *location_id,
                    world
                        .people
                        .iter()
                        .filter(|p| p.team_id == Some(id))
                        .collect(),
                )
            };
            if members.iter().any(|p| p.organisation_id != org) {
                return bad("someone of another organisation");
            }
            let Some(rank) = rank_at(held, location_id) else {
                return bad("no role at that location");
            };
            if rank < Role::Supervisor {
                return bad("below supervisor at that location");
            }
            for member in members {
                let theirs = grants(store, member).await?;
                if theirs.iter().any(|g| g.role >= rank) {
                    return bad("someone it applies to ranks as high as they do");
                }
            }
        }
        _ => return bad("an unknown scope"),
    }
    Ok(())
}

/// The invariants that hold after every step.
async fn check(store: &Store, world: &World) -> Result<(), String> {
    let violations = store
        .ledger_violations(&world.organisations)
        .await
        .map_err(|e| format!("internal error checking the ledger: {e}"))?;
    if let Some(first) = violations.first() {
        return Err(format!("ledger invariant: {first}"));
    }
    let stored = store
        .recovery_keys(&world.organisations)
        .await
        .map_err(|e| format!("internal error reading recoveries: {e}"))?;
    if stored.len() != world.acknowledged.len() {
        return Err(format!(
            "acknowledged writes: {} recoveries stored, {} acknowledged",
            stored.len(),
            world.acknowledged.len()
        ));
    }
    for (id, org, key) in &stored {
        match world.by_key.get(&(*org, key.clone())) {
            Some(&index) if world.acknowledged[index].recovery_id == *id => {}
            _ => {
                return Err(format!(
                "acknowledged writes: recovery {id} (key {key}) was stored but never acknowledged"
            ))
            }
        }
    }
    Ok(())
}
