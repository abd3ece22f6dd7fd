//! The monthly learning summary (`/summary`): the month for the organisation or one
//! location, as the ledger stands or as published (frozen, with later corrections as a note).
//! Every chart is server-rendered SVG with its numbers in a table beside it; the page prints
//! as a clean A4/Letter report and exports CSV.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::summary::{monthly_summary, PublishMonth, SaveCommentary, SummaryView},
    components::{
        charts::{Bar, BarChart, ParetoChart},
        choices::options,
        feedback::{error_message, ActionError},
        textarea::textarea_html,
    },
    domain::summary::{
        change_label, duration_label, money, ParetoRow, Share, Summary, BANDS, NAMED,
        RARELY_PERCENT,
    },
    pages::console::ConsoleNav,
};

fn percent_or_dash(p: Option<i64>) -> String {
    p.map_or_else(|| "—".to_string(), |p| format!("{p} %"))
}

#[component]
pub fn SummaryPage() -> impl IntoView {
    let query = use_query_map();
    let save = ServerAction::<SaveCommentary>::new();
    let publish = ServerAction::<PublishMonth>::new();
    let asked = move || {
        query.with(|q| {
            (
                q.get("month").unwrap_or_default(),
                q.get("location").unwrap_or_default(),
            )
        })
    };
    let view_data = Resource::new(
        move || (asked(), save.version().get(), publish.version().get()),
        |((month, location), _, _)| monthly_summary(month, location),
    );
    view! {
        <Title text="Monthly summary · Goodwill"/>
        <ConsoleNav current="/summary"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Err(error) => view! { <section class="card"><p class="error" role="alert" data-testid="refused">{error.to_string()}</p></section> }.into_any(),
                    Ok(v) => view! { <Report v save publish/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Report(
    v: SummaryView,
    save: ServerAction<SaveCommentary>,
    publish: ServerAction<PublishMonth>,
) -> impl IntoView {
    let s = v.summary.clone();
    let query = format!("month={}&location={}", v.month, v.location);
    view! {
        <article class="report" data-testid="summary">
            <section class="card report-head" aria-labelledby="summary-heading">
                <p class="muted">{s.organisation.clone()}</p>
                <h1 id="summary-heading">{format!("{} · {}", s.month.label(), s.scope)}</h1>
                <form method="get" action="/summary" class="filters">
                    <label>"Month" <select name="month">{options(&v.months, &v.month)}</select></label>
                    <label>"Scope" <select name="location">{options(&v.scopes, &v.location)}</select></label>
                    <button type="submit" class="button">"Show"</button>
                </form>
                <p class="exports">
                    <a href=format!("/summary/export/recoveries.csv?{query}") download>"The month's recoveries (CSV)"</a>
                    " · "
                    <a href=format!("/summary/export/tables.csv?{query}") download>"The summary tables (CSV)"</a>
                    <span class="muted">" · Print this page for an A4 or Letter report."</span>
                </p>
                <Standing v=v.clone() save publish/>
            </section>
            <Headline s=s.clone()/>
            <Utilisation s=s.clone()/>
            <Causes s=s.clone()/>
            <Customers s=s.clone()/>
            <Improvements s=s.clone()/>
            <People s=s/>
        </article>
    }
}

/// Published or draft: the frozen note and its corrections, or the commentary and publish
/// forms for leadership.
#[component]
fn Standing(
    v: SummaryView,
    save: ServerAction<SaveCommentary>,
    publish: ServerAction<PublishMonth>,
) -> impl IntoView {
    let computed = v
        .summary
        .computed_at
        .format("%d %b %Y %H:%M UTC")
        .to_string();
    if let Some(p) = v.published.clone() {
        let corrections = (!v.corrections.is_empty() || !v.late_entries.is_empty()).then(|| {
            view! {
                <div class="corrections" data-testid="corrections" role="note">
                    <h2>"Corrections since publication"</h2>
                    <p>"The figures below are as published. The ledger has changed since; the month as it stands now:"</p>
                    {(!v.corrections.is_empty()).then(|| view! {
                        <table class="table">
                            <thead><tr><th scope="col">"Figure"</th><th scope="col">"Published"</th><th scope="col">"Now"</th></tr></thead>
                            <tbody>
                                {v.corrections.iter().map(|(name, was, now)| view! {
                                    <tr><th scope="row">{name.clone()}</th><td>{was.clone()}</td><td>{now.clone()}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                    <ul>{v.late_entries.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
                </div>
            }
        });
        return view! {
            <p class="published" data-testid="published">{format!("Published by {} on {}. This summary is frozen.", p.by, p.at)}</p>
            {(!p.commentary.is_empty()).then(|| view! {
                <div class="commentary"><h2>"Commentary"</h2><p class="prewrap" data-testid="commentary">{p.commentary.clone()}</p></div>
            })}
            {corrections}
        }
        .into_any();
    }
    let status = if v.complete {
        format!("Not published yet. Figures as the ledger stands at {computed}.")
    } else {
        format!("The month is not over: figures so far, as at {computed}.")
    };
    let save_error = Signal::derive(move || error_message(&save.value().get()));
    let publish_error = Signal::derive(move || error_message(&publish.value().get()));
    let (month, location) = (v.month.clone(), v.location.clone());
    let forms = v.can_publish.then(|| {
        let (m1, l1, m2, l2) = (month.clone(), location.clone(), month, location);
        view! {
            <ActionForm action=save attr:class="commentary-form">
                <input type="hidden" name="month" value=m1/>
                <input type="hidden" name="location" value=l1/>
                <label for="commentary">"Leadership commentary"</label>
                <textarea id="commentary" name="commentary" rows="5" maxlength="10000" inner_html=textarea_html(&v.draft)></textarea>
                <button type="submit" class="button">"Save commentary"</button>
                <ActionError message=save_error/>
            </ActionForm>
            {v.complete.then(|| view! {
                <ActionForm action=publish attr:class="inline">
                    <input type="hidden" name="month" value=m2/>
                    <input type="hidden" name="location" value=l2/>
                    <button type="submit" class="button primary">"Publish the month"</button>
                    <p class="muted">"Publishing freezes these figures and the saved commentary; later corrections show as a note."</p>
                    <ActionError message=publish_error/>
                </ActionForm>
            })}
        }
    });
    view! {
        <p class="muted" data-testid="draft-status">{status}</p>
        {forms}
    }
    .into_any()
}

/// A chart with its numbers in a table beside it.
#[component]
fn Figure(chart: AnyView, table: AnyView) -> impl IntoView {
    view! {
        <div class="figure">
            <div class="figure-chart">{chart}</div>
            <div class="figure-table scroll">{table}</div>
        </div>
    }
}

fn pareto_figure(title: &str, rows: Vec<ParetoRow>, shown: impl Fn(i64) -> String) -> AnyView {
    if rows.is_empty() {
        return view! { <p class="muted">{format!("{title}: nothing this month.")}</p> }.into_any();
    }
    let labels: Vec<String> = rows.iter().map(|r| shown(r.value)).collect();
    let table = view! {
        <table class="table">
            <caption>{title.to_string()}</caption>
            <thead><tr><th scope="col">"Cause"</th><th scope="col">"Value"</th><th scope="col">"Cumulative"</th></tr></thead>
            <tbody>
                {rows.iter().zip(&labels).map(|(r, shown)| view! {
                    <tr><th scope="row">{r.label.clone()}</th><td>{shown.clone()}</td><td>{format!("{} %", r.cumulative_percent)}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any();
    let chart = view! { <ParetoChart title=title.to_string() rows shown=labels/> }.into_any();
    view! { <Figure chart table/> }.into_any()
}

fn share_figure(title: &str, heading: &str, rows: &[Share]) -> AnyView {
    if rows.iter().all(|r| r.count == 0) {
        return view! { <p class="muted">{format!("{title}: nothing this month.")}</p> }.into_any();
    }
    let bars = rows
        .iter()
        .map(|r| Bar {
            label: r.label.clone(),
            value: r.count,
            shown: format!("{} ({} %)", r.count, r.percent),
        })
        .collect();
    let table = view! {
        <table class="table">
            <caption>{title.to_string()}</caption>
            <thead><tr><th scope="col">{heading.to_string()}</th><th scope="col">"Recoveries"</th><th scope="col">"Share"</th></tr></thead>
            <tbody>
                {rows.iter().map(|r| view! {
                    <tr><th scope="row">{r.label.clone()}</th><td>{r.count}</td><td>{format!("{} %", r.percent)}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any();
    let chart = view! { <BarChart title=title.to_string() bars/> }.into_any();
    view! { <Figure chart table/> }.into_any()
}

#[component]
fn Headline(s: Summary) -> impl IntoView {
    let h = s.headline.clone();
    let bars = vec![
        Bar {
            label: s.month.year_ago().label(),
            value: h.year_ago_recoveries,
            shown: h.year_ago_recoveries.to_string(),
        },
        Bar {
            label: s.month.previous().label(),
            value: h.previous_recoveries,
            shown: h.previous_recoveries.to_string(),
        },
        Bar {
            label: s.month.label(),
            value: h.recoveries,
            shown: h.recoveries.to_string(),
        },
    ];
    let table = view! {
        <table class="table" data-testid="spend">
            <caption>"Spend against allowance"</caption>
            <thead><tr>
                <th scope="col">"Currency"</th><th scope="col">"Recoveries"</th><th scope="col">"Spend"</th>
                <th scope="col">"Allowance"</th><th scope="col">"Used"</th><th scope="col">"Per recovery"</th>
                <th scope="col">"Month on month"</th><th scope="col">"Year on year"</th>
            </tr></thead>
            <tbody>
                {h.lines.iter().map(|l| view! {
                    <tr>
                        <th scope="row">{l.currency.clone()}</th>
                        <td>{l.recoveries}</td>
                        <td>{money(l.spend_minor, &l.currency)}</td>
                        <td>{money(l.allowance_minor, &l.currency)}</td>
                        <td>{percent_or_dash(l.used_percent())}</td>
                        <td>{l.per_recovery_minor().map_or_else(|| "—".to_string(), |m| money(m, &l.currency))}</td>
                        <td>{format!("{} (was {})", change_label(l.spend_minor, l.previous_spend_minor), money(l.previous_spend_minor, &l.currency))}</td>
                        <td>{format!("{} (was {})", change_label(l.spend_minor, l.year_ago_spend_minor), money(l.year_ago_spend_minor, &l.currency))}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any();
    let chart = view! { <BarChart title="Recoveries: this month, last month, a year ago".to_string() bars/> }
        .into_any();
    view! {
        <section class="card" aria-labelledby="headline-heading">
            <h2 id="headline-heading">"Recoveries and spend"</h2>
            <dl class="facts" data-testid="headline">
                <dt>"Recoveries"</dt><dd>{h.recoveries}</dd>
                <dt>"Month on month"</dt><dd>{format!("{} (was {})", change_label(h.recoveries, h.previous_recoveries), h.previous_recoveries)}</dd>
                <dt>"Year on year"</dt><dd>{format!("{} (was {})", change_label(h.recoveries, h.year_ago_recoveries), h.year_ago_recoveries)}</dd>
                <dt>"Put right without money"</dt><dd>{format!("{} ({})", h.non_monetary, percent_or_dash(h.non_monetary_percent()))}</dd>
                <dt>"Reversed (left out of every figure)"</dt><dd>{h.reversed}</dd>
                <dt>"Still waiting for a supervisor"</dt><dd>{h.pending}</dd>
            </dl>
            <Figure chart table/>
        </section>
    }
}

fn names(title: &str, names: &[String], total: i64) -> impl IntoView {
    let more = total - names.len() as i64;
    view! {
        <p>
            <strong>{format!("{title} ({total}): ")}</strong>
            {if names.is_empty() { "nobody.".to_string() } else { names.join(", ") }}
            {(more > 0).then(|| format!(" and {more} more"))}
        </p>
    }
}

#[component]
fn Utilisation(s: Summary) -> impl IntoView {
    let u = s.utilisation.clone();
    let bars: Vec<Bar> = BANDS
        .iter()
        .zip(u.bands.iter().copied().chain(std::iter::repeat(0)))
        .map(|(label, value)| Bar {
            label: (*label).to_string(),
            value,
            shown: value.to_string(),
        })
        .collect();
    let table = view! {
        <table class="table" data-testid="bands">
            <caption>"People by share of their allowance used"</caption>
            <thead><tr><th scope="col">"Used"</th><th scope="col">"People"</th></tr></thead>
            <tbody>
                {bars.iter().map(|b| view! { <tr><th scope="row">{b.label.clone()}</th><td>{b.value}</td></tr> }).collect_view()}
            </tbody>
        </table>
    }
    .into_any();
    let chart = view! { <BarChart title="People by share of their allowance used".to_string() bars=bars.clone()/> }.into_any();
    view! {
        <section class="card" aria-labelledby="use-heading">
            <h2 id="use-heading">"How budgets are used"</h2>
            <Figure chart table/>
            <div class="scroll">
                <table class="table" data-testid="teams">
                    <caption>"Teams"</caption>
                    <thead><tr><th scope="col">"Team"</th><th scope="col">"Where"</th><th scope="col">"People"</th><th scope="col">"Recoveries"</th><th scope="col">"Spend"</th><th scope="col">"Allowance"</th><th scope="col">"Used"</th></tr></thead>
                    <tbody>
                        {u.teams.iter().map(|t| view! {
                            <tr class:rarely=t.rarely_used()>
                                <th scope="row">{t.name.clone()}</th>
                                <td>{t.place.clone()}</td>
                                <td>{t.people}</td>
                                <td>{t.recoveries}</td>
                                <td>{money(t.spend_minor, &t.currency)}</td>
                                <td>{money(t.allowance_minor, &t.currency)}</td>
                                <td>{percent_or_dash(t.used_percent())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="empowerment" data-testid="empowerment">
                <h3>"Possibly under-empowered"</h3>
                <p>{format!(
                    "People and teams who never or rarely (under {RARELY_PERCENT} % of the allowance) use their budget. Low use is not thrift: it can mean people do not feel free to put things right on the spot. Worth a conversation, not a compliment."
                )}</p>
                {names("Never used their budget", &u.never, u.never_total)}
                {names("Rarely used it", &u.rarely, u.rarely_total)}
                {
                    let teams: Vec<String> = u.teams.iter().filter(|t| t.rarely_used()).map(|t| format!("{} — {}", t.name, t.place)).collect();
                    let total = teams.len() as i64;
                    names("Teams that never or rarely used theirs", &teams, total)
                }
                {(u.never.len() >= NAMED || u.rarely.len() >= NAMED).then(|| view! { <p class="muted">"The CSV of the summary tables names everyone."</p> })}
            </div>
        </section>
    }
}

#[component]
fn Causes(s: Summary) -> impl IntoView {
    let count = |v: i64| v.to_string();
    view! {
        <section class="card" aria-labelledby="causes-heading">
            <h2 id="causes-heading">"Top causes"</h2>
            <p class="muted">"Pareto charts: causes largest first; the line is the running share of the total, the dashed line 80 %."</p>
            <h3>"What went wrong, by number of recoveries"</h3>
            {pareto_figure("Categories by count", s.categories_by_count.clone(), count)}
            <h3>"What went wrong, by cost"</h3>
            {s.categories_by_cost.iter().map(|(currency, rows)| {
                let code = currency.clone();
                pareto_figure(&format!("Categories by cost ({currency})"), rows.clone(), move |v| money(v, &code))
            }).collect_view()}
            {s.categories_by_cost.is_empty().then(|| view! { <p class="muted">"No money spent this month."</p> })}
            <h3>"Where it went wrong, by number of recoveries"</h3>
            {pareto_figure("Touchpoints by count", s.touchpoints_by_count.clone(), count)}
            <h3>"How customers told us"</h3>
            {share_figure("Channel mix", "Channel", &s.channels)}
        </section>
    }
}

#[component]
fn Customers(s: Summary) -> impl IntoView {
    let f = s.follow_ups.clone();
    view! {
        <section class="card" aria-labelledby="customers-heading">
            <h2 id="customers-heading">"Customers"</h2>
            {share_figure("Customer reactions", "Reaction", &s.reactions)}
            <h3>"Follow-ups promised"</h3>
            <dl class="facts" data-testid="follow-ups">
                <dt>"Promised"</dt><dd>{f.promised}</dd>
                <dt>"Done on time"</dt><dd>{format!("{} ({} of those due)", f.on_time, percent_or_dash(f.on_time_percent))}</dd>
                <dt>"Done late"</dt><dd>{f.late}</dd>
                <dt>"Overdue, not done"</dt><dd>{f.overdue}</dd>
                <dt>"Not yet due"</dt><dd>{f.not_yet_due}</dd>
                <dt>"Median time to done"</dt><dd>{f.median_minutes.map_or_else(|| "—".to_string(), duration_label)}</dd>
            </dl>
        </section>
    }
}

#[component]
fn Improvements(s: Summary) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="improvements-heading">
            <h2 id="improvements-heading">"Improvements this month"</h2>
            {if s.improvements.is_empty() {
                view! { <p class="muted">"No improvement item was opened, done or verified this month."</p> }.into_any()
            } else {
                view! {
                    <div class="scroll">
                        <table class="table" data-testid="improvements">
                            <thead><tr><th scope="col">"Item"</th><th scope="col">"Where"</th><th scope="col">"This month"</th><th scope="col">"Status now"</th><th scope="col">"Recoveries"</th><th scope="col">"Cost of failure"</th><th scope="col">"Effect (recurrences a week, before → after)"</th></tr></thead>
                            <tbody>
                                {s.improvements.iter().map(|i| {
                                    let moved: Vec<&str> = [(i.opened, "opened"), (i.done, "done"), (i.verified, "verified")]
                                        .into_iter().filter(|(on, _)| *on).map(|(_, l)| l).collect();
                                    view! {
                                        <tr>
                                            <th scope="row"><a href=format!("/improvements/{}", i.id)>{format!("#{} {}", i.id, i.title)}</a></th>
                                            <td>{i.place.clone()}</td>
                                            <td>{moved.join(", ")}</td>
                                            <td>{i.status.clone()}</td>
                                            <td>{i.occurrences}</td>
                                            <td>{i.cost.clone()}</td>
                                            <td>{i.effect.clone().unwrap_or_else(|| "—".to_string())}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn People(s: Summary) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="stories-heading">
            <h2 id="stories-heading">"Notable recoveries"</h2>
            {if s.stories.is_empty() {
                view! { <p class="muted">"No recovery with a customer reaction and a note this month."</p> }.into_any()
            } else {
                view! {
                    <div class="stories" data-testid="stories">
                        {s.stories.iter().map(|st| view! {
                            <blockquote class="story">
                                <p class="prewrap">{st.note.clone()}</p>
                                <footer>{format!(
                                    "{} · {} · {} — {}: {} ({}), {}, customer {}",
                                    st.person, st.place, st.date.format("%d %b"), st.cause, st.remedy, st.amount, st.severity, st.reaction
                                )}</footer>
                            </blockquote>
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
            <h2>"Recognition"</h2>
            <p class="muted">"At least 3 recoveries this month, at least 75 % of them leaving the customer delighted or satisfied; ranked by delighted customers, then that share, then causes named for the learning loop; the first five."</p>
            {if s.recognition.is_empty() {
                view! { <p data-testid="recognition">"Nobody met the rule this month."</p> }.into_any()
            } else {
                view! {
                    <ol data-testid="recognition">
                        {s.recognition.iter().map(|r| view! { <li><strong>{format!("{} — {}", r.name, r.place)}</strong>{format!(": {}", r.reason)}</li> }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}
