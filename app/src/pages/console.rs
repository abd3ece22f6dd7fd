//! The supervisor console: spend against allowance (`/spend`), the review of recoveries with
//! filters and reversal (`/review`), the daily sampled review (`/sample`) and budgets
//! (`/budgets`). Filters are plain GET forms, so every view has an address and works
//! before (or without) the wasm; changes are action forms.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        admin::{AddBudgetBoost, SetBudgetPolicy},
        console::{
            budgets_overview, daily_sample, review_recoveries, spend_overview, BudgetLine,
            ReverseEntry, ReviewQuery, ReviewRow, SampleItem, SpendLine, SpotCheck,
        },
        recoveries::Choice,
    },
    components::feedback::{error_message, ActionError},
};

/// The console's sections, shown at the top of each of its pages.
#[component]
pub fn ConsoleNav(current: &'static str) -> impl IntoView {
    let links = [
        ("/approvals", "Approvals"),
        ("/spend", "Spend"),
        ("/review", "Review"),
        ("/sample", "Sampled review"),
        ("/budgets", "Budgets"),
        ("/improvements", "Improvements"),
        ("/summary", "Monthly summary"),
    ];
    view! {
        <nav class="console-nav" aria-label="Supervisor console">
            {links.into_iter().map(|(href, label)| {
                let here = href == current;
                view! { <a href=href class:here=here aria-current=here.then_some("page")>{label}</a> }
            }).collect_view()}
        </nav>
    }
}

fn refused(error: impl std::fmt::Display) -> AnyView {
    view! { <section class="card"><p class="error" role="alert" data-testid="refused">{error.to_string()}</p></section> }.into_any()
}

#[component]
pub fn SpendPage() -> impl IntoView {
    let query = use_query_map();
    let range = move || {
        query.with(|q| {
            (
                q.get("from").unwrap_or_default(),
                q.get("to").unwrap_or_default(),
            )
        })
    };
    let overview = Resource::new(range, |(from, to)| spend_overview(from, to));
    view! {
        <Title text="Spend · Goodwill"/>
        <ConsoleNav current="/spend"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let o = match overview.await {
                    Err(error) => return refused(error),
                    Ok(o) => o,
                };
                view! {
                    <section class="card" aria-labelledby="spend-heading">
                        <h1 id="spend-heading">{format!("Spend · {}", o.title)}</h1>
                        <form method="get" action="/spend" class="filters">
                            <label>"From" <input type="date" name="from" value=o.from.clone()/></label>
                            <label>"To" <input type="date" name="to" value=o.to.clone()/></label>
                            <button type="submit" class="button">"Show"</button>
                            <a class="button small" href="/spend">"Today"</a>
                        </form>
                        <p data-testid="spend-totals">
                            {format!("{} waiting for approval · {} follow-ups open, {} overdue", o.pending, o.open_follow_ups, o.overdue_follow_ups)}
                        </p>
                    </section>
                    <section class="card" aria-labelledby="teams-heading">
                        <h2 id="teams-heading">"Per team"</h2>
                        <SpendTable lines=o.teams first="Team" with_team=false testid="team-spend"/>
                    </section>
                    <section class="card" aria-labelledby="people-heading">
                        <h2 id="people-heading">"Per person"</h2>
                        <SpendTable lines=o.people first="Person" with_team=true testid="person-spend"/>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn SpendTable(
    lines: Vec<SpendLine>,
    first: &'static str,
    with_team: bool,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <div class="scroll">
            <table class="table" data-testid=testid>
                <thead><tr>
                    <th scope="col">{first}</th><th scope="col">"Location"</th>
                    {with_team.then(|| view! { <th scope="col">"Team"</th> })}
                    <th scope="col">"Recoveries"</th><th scope="col">"Spent"</th><th scope="col">"Allowance"</th>
                    <th scope="col">"Used"</th><th scope="col">"Waiting"</th><th scope="col">"Follow-ups open / overdue"</th>
                </tr></thead>
                <tbody>
                    {lines.into_iter().map(|l| view! {
                        <tr>
                            <th scope="row">{l.name}</th>
                            <td>{l.location}</td>
                            {with_team.then(|| view! { <td>{l.team.clone()}</td> })}
                            <td>{l.recoveries}</td>
                            <td>{l.spent}</td>
                            <td>{l.allowance}</td>
                            <td><meter min="0" max="100" value=l.used_percent.min(100) aria-label="Share of allowance used"></meter>{format!(" {} %", l.used_percent)}</td>
                            <td class:status-pending={l.pending > 0}>{l.pending}</td>
                            <td class:error={l.overdue_follow_ups > 0}>{format!("{} / {}", l.open_follow_ups, l.overdue_follow_ups)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let query = use_query_map();
    let reverse = ServerAction::<ReverseEntry>::new();
    let filters =
        move || query.with(|q| ReviewQuery::from_pairs(|name| q.get(name).map(|v| v.to_string())));
    let page = Resource::new(
        move || (filters(), reverse.version().get()),
        |(filters, _)| review_recoveries(filters),
    );
    let done = move || reverse.value().get().and_then(|r| r.ok());
    view! {
        <Title text="Review · Goodwill"/>
        <ConsoleNav current="/review"/>
        <section class="card" aria-labelledby="review-heading">
            <h1 id="review-heading">"Review recoveries"</h1>
            <p class="outcome" role="status">{move || done().map(|text| view! { <span class="ok">{text}</span> })}</p>
            <ActionError message=Signal::derive(move || reverse.value().with(error_message))/>
        </section>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Err(error) => return refused(error),
                    Ok(p) => p,
                };
                let count = if p.truncated {
                    format!("The first {} matching recoveries; narrow the filters to see the rest.", p.rows.len())
                } else {
                    format!("{} matching recoveries.", p.rows.len())
                };
                view! {
                    <section class="card" aria-labelledby="filters-heading">
                        <h2 id="filters-heading">"Filters"</h2>
                        <form method="get" action="/review" class="filters">
                            <label>"From" <input type="date" name="from" value=p.query.from.clone()/></label>
                            <label>"To" <input type="date" name="to" value=p.query.to.clone()/></label>
                            <Select name="location" label="Location" any="Any location" choices=p.options.locations selected=p.query.location.clone()/>
                            <Select name="team" label="Team" any="Any team" choices=p.options.teams selected=p.query.team.clone()/>
                            <Select name="person" label="Person" any="Anyone" choices=p.options.people selected=p.query.person.clone()/>
                            <Select name="category" label="What went wrong" any="Any category" choices=p.options.categories selected=p.query.category.clone()/>
                            <Select name="remedy" label="What was done" any="Any remedy" choices=p.options.remedies selected=p.query.remedy.clone()/>
                            <Select name="status" label="Status" any="Any status" choices=p.options.statuses selected=p.query.status.clone()/>
                            <label>"Amount from" <input name="min" inputmode="decimal" size="8" value=p.query.min.clone()/></label>
                            <label>"to" <input name="max" inputmode="decimal" size="8" value=p.query.max.clone()/></label>
                            <Select name="sort" label="Order" any="" choices=p.options.sorts selected=p.query.sort.clone()/>
                            <button type="submit" class="button primary">"Apply"</button>
                            <a class="button small" href="/review">"Clear"</a>
                        </form>
                        <p data-testid="review-count">{count}</p>
                    </section>
                    {p.rows.into_iter().map(|row| view! { <ReviewItem row reverse/> }).collect_view()}
                }.into_any()
            })}
        </Suspense>
    }
}

/// A select of choices with an "any" option first (left out when `any` is empty).
#[component]
fn Select(
    name: &'static str,
    label: &'static str,
    any: &'static str,
    choices: Vec<Choice>,
    selected: String,
) -> impl IntoView {
    view! {
        <label>{label}" "
            <select name=name>
                {(!any.is_empty()).then(|| view! { <option value="">{any}</option> })}
                {choices.into_iter().map(|c| {
                    let chosen = c.code == selected;
                    view! { <option value=c.code selected=chosen>{c.label}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

#[component]
fn ReviewItem(row: ReviewRow, reverse: ServerAction<ReverseEntry>) -> impl IntoView {
    let reason_id = format!("reverse-reason-{}", row.recovery_id);
    view! {
        <article class="card review-item" data-testid="review-row" aria-label=format!("Recovery by {} on {}", row.person, row.when)>
            <details>
                <summary>
                    <strong>{format!("{} · {} · {}", row.when, row.person, row.category)}</strong>
                    {format!(" → {}: {} ", row.remedy, row.amount)}
                    <span class=format!("status status-{}", row.status)>{row.status_label.clone()}</span>
                </summary>
                <dl class="facts">
                    <dt>"Location"</dt><dd>{format!("{} · {}", row.location, row.touchpoint)}</dd>
                    {(!row.description.is_empty()).then(|| view! { <dt>"What happened"</dt><dd>{row.description.clone()}</dd> })}
                    <dt>"Customer"</dt><dd>{row.reaction.clone()}{row.customer_ref.clone().map(|c| format!(" · {c}"))}</dd>
                    <dt>"From the budget"</dt><dd>{row.covered.clone()}</dd>
                    {row.spot_check.clone().map(|s| view! { <dt>"Sampled review"</dt><dd>{s}</dd> })}
                </dl>
                {(!row.history.is_empty()).then(|| view! {
                    <ul class="history">{row.history.iter().map(|h| view! { <li>{h.clone()}</li> }).collect_view()}</ul>
                })}
                {row.reversible.then(|| view! {
                    <ActionForm action=reverse attr:class="inline">
                        <input type="hidden" name="recovery_id" value=row.recovery_id.to_string()/>
                        <input type="hidden" name="idempotency_key" value=row.reversal_key.clone()/>
                        <label for=reason_id.clone()>"Reason for reversing"</label>
                        <input id=reason_id name="reason" required maxlength="500"/>
                        <button type="submit" class="button">"Reverse"</button>
                    </ActionForm>
                })}
            </details>
        </article>
    }
}

#[component]
pub fn SamplePage() -> impl IntoView {
    let check = ServerAction::<SpotCheck>::new();
    let sample = Resource::new(move || check.version().get(), |_| daily_sample());
    view! {
        <Title text="Sampled review · Goodwill"/>
        <ConsoleNav current="/sample"/>
        <section class="card" aria-labelledby="sample-heading">
            <h1 id="sample-heading">"Sampled review"</h1>
            <p>"Review after the fact instead of approval before it: each day a few recoveries made within budget are drawn at random. Does each look right, or is it worth a conversation?"</p>
            <ActionError message=Signal::derive(move || check.value().with(error_message))/>
        </section>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match sample.await {
                    Err(error) => refused(error),
                    Ok(s) => view! {
                        <p class="muted" data-testid="sample-window">{s.window.clone()}</p>
                        {if s.items.is_empty() {
                            view! { <section class="card"><p data-testid="sample-empty">"Nothing to sample: no recoveries within budget in these days."</p></section> }.into_any()
                        } else {
                            s.items.into_iter().map(|item| view! { <SampleCard item check/> }).collect_view().into_any()
                        }}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SampleCard(item: SampleItem, check: ServerAction<SpotCheck>) -> impl IntoView {
    let note_id = format!("note-{}", item.recovery_id);
    let (looks_right_id, talk_id) = (item.recovery_id.to_string(), item.recovery_id.to_string());
    view! {
        <article class="card request" data-testid="sample-item" aria-label=format!("Recovery by {}", item.person)>
            <h2>{format!("{} · {}", item.person, item.amount)}</h2>
            <p class="muted">{format!("{} · {}", item.when, item.location)}</p>
            <p><strong>{item.what}</strong>{format!(" → {} · customer {}", item.done, item.reaction)}</p>
            {match item.verdict {
                Some(verdict) => view! {
                    <p class="outcome" data-testid="verdict"><span class="ok">{verdict}{item.note.map(|n| format!(": {n}"))}</span></p>
                }.into_any(),
                None => view! {
                    <div class="decide">
                        <ActionForm action=check attr:class="inline">
                            <input type="hidden" name="recovery_id" value=looks_right_id/>
                            <input type="hidden" name="verdict" value="looks-right"/>
                            <input type="hidden" name="note" value=""/>
                            <button type="submit" class="button primary">"Looks right"</button>
                        </ActionForm>
                        <ActionForm action=check attr:class="inline">
                            <input type="hidden" name="recovery_id" value=talk_id/>
                            <input type="hidden" name="verdict" value="needs-a-talk"/>
                            <label for=note_id.clone()>"What to talk about"</label>
                            <input id=note_id name="note" required maxlength="500"/>
                            <button type="submit" class="button">"Needs a talk"</button>
                        </ActionForm>
                    </div>
                }.into_any(),
            }}
        </article>
    }
}

#[component]
pub fn BudgetsPage() -> impl IntoView {
    let set_policy = ServerAction::<SetBudgetPolicy>::new();
    let add_boost = ServerAction::<AddBudgetBoost>::new();
    let budgets = Resource::new(
        move || (set_policy.version().get(), add_boost.version().get()),
        |_| budgets_overview(),
    );
    let saved = move || {
        let policy = set_policy.value().get().is_some_and(|r| r.is_ok());
        let boost = add_boost.value().get().is_some_and(|r| r.is_ok());
        (policy || boost).then_some("Saved. It applies from the next recovery logged.")
    };
    view! {
        <Title text="Budgets · Goodwill"/>
        <ConsoleNav current="/budgets"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let b = match budgets.await {
                    Err(error) => return refused(error),
                    Ok(b) => b,
                };
                let scopes: Vec<(String, String)> = b.teams.iter()
                    .map(|t| (t.scope.clone(), format!("Team: {} · {}", t.location, t.name)))
                    .chain(b.people.iter().map(|p| (p.scope.clone(), format!("{} · {}", p.name, p.location))))
                    .collect();
                let options = |scopes: &[(String, String)]| scopes.iter().map(|(value, label)| view! { <option value=value.clone()>{label.clone()}</option> }).collect_view();
                let (policy_options, boost_options) = (options(&scopes), options(&scopes));
                view! {
                    <section class="card" aria-labelledby="budgets-heading">
                        <h1 id="budgets-heading">{format!("Budgets · {}", b.today)}</h1>
                        <p>"A personal budget overrides the team's, which overrides the role's and the organisation's default; a boost adds to a budget on the days it covers. Every change is audited and applies from the next recovery logged."</p>
                        <p class="outcome" role="status">{move || saved().map(|text| view! { <span class="ok">{text}</span> })}</p>
                        <div class="two-forms">
                            <ActionForm action=set_policy attr:class="grid-form">
                                <h2 class="span">"Set a daily budget"</h2>
                                <label for="policy-scope">"For"</label>
                                <select id="policy-scope" name="scope">{policy_options}</select>
                                <label for="policy-daily">"Daily budget"</label>
                                <input id="policy-daily" name="daily" inputmode="decimal" required/>
                                <label for="policy-cap">"At most per recovery (optional)"</label>
                                <input id="policy-cap" name="cap" inputmode="decimal"/>
                                <button type="submit" class="button primary">"Set budget"</button>
                            </ActionForm>
                            <ActionError message=Signal::derive(move || set_policy.value().with(error_message))/>
                            <ActionForm action=add_boost attr:class="grid-form">
                                <h2 class="span">"Give a temporary boost"</h2>
                                <label for="boost-scope">"For"</label>
                                <select id="boost-scope" name="scope">{boost_options}</select>
                                <label for="boost-from">"From"</label>
                                <input id="boost-from" type="date" name="from" required/>
                                <label for="boost-to">"To"</label>
                                <input id="boost-to" type="date" name="to" required/>
                                <label for="boost-extra">"Extra per day"</label>
                                <input id="boost-extra" name="extra" inputmode="decimal" required/>
                                <label for="boost-reason">"Why"</label>
                                <input id="boost-reason" name="reason" required maxlength="200"/>
                                <button type="submit" class="button primary">"Add boost"</button>
                            </ActionForm>
                            <ActionError message=Signal::derive(move || add_boost.value().with(error_message))/>
                        </div>
                    </section>
                    <section class="card" aria-labelledby="people-budgets-heading">
                        <h2 id="people-budgets-heading">"People"</h2>
                        <BudgetTable lines=b.people testid="people-budgets" with_today=true/>
                    </section>
                    <section class="card" aria-labelledby="team-budgets-heading">
                        <h2 id="team-budgets-heading">"Teams"</h2>
                        <BudgetTable lines=b.teams testid="team-budgets" with_today=false/>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn BudgetTable(lines: Vec<BudgetLine>, testid: &'static str, with_today: bool) -> impl IntoView {
    view! {
        <div class="scroll">
            <table class="table" data-testid=testid>
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Location"</th>
                    {with_today.then(|| view! { <th scope="col">"Today"</th> })}
                    <th scope="col">"Own budget"</th><th scope="col">"Boosts"</th>
                </tr></thead>
                <tbody>
                    {lines.into_iter().map(|l| view! {
                        <tr>
                            <th scope="row">{l.name}</th>
                            <td>{l.location}</td>
                            {with_today.then(|| view! { <td>{l.today.clone()}</td> })}
                            <td>{l.own_policy.unwrap_or_else(|| "—".into())}</td>
                            <td>{l.boosts.join("; ")}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
