//! The shared tablet: a location's staff tap their name and enter their PIN to act as
//! themselves; after a quiet spell the tablet returns to the picker on its own.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        error::ApiError,
        session::{tablet_roster, who_am_i, EndTurn, PinSwitch, Roster, SetUpTablet},
    },
    components::feedback::{error_message, ActionError},
};

#[component]
pub fn TabletPage() -> impl IntoView {
    let set_up = ServerAction::<SetUpTablet>::new();
    let pin_switch = ServerAction::<PinSwitch>::new();
    let end_turn = ServerAction::<EndTurn>::new();
    crate::components::header::bump_session_on(move || {
        set_up.version().get() + pin_switch.version().get() + end_turn.version().get()
    });
    let roster = Resource::new(
        move || {
            (
                set_up.version().get(),
                pin_switch.version().get(),
                end_turn.version().get(),
            )
        },
        |_| tablet_roster(),
    );
    view! {
        <Title text="Shared tablet · Goodwill"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match roster.await {
                    Ok(roster) => view! { <TabletView roster pin_switch end_turn/> }.into_any(),
                    Err(ApiError::Validation(_)) => view! { <SetUp set_up/> }.into_any(),
                    Err(ApiError::SignInRequired) => view! {
                        <section class="card">
                            <h1>"Shared tablet"</h1>
                            <p>"A supervisor signs in first, then sets this device up as the tablet of their location."</p>
                            <p><a class="button primary" href="/sign-in">"Sign in"</a></p>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn TabletView(
    roster: Roster,
    pin_switch: ServerAction<PinSwitch>,
    end_turn: ServerAction<EndTurn>,
) -> impl IntoView {
    let query = use_query_map();
    let chosen = move || query.with(|q| q.get("person").and_then(|id| id.parse::<i64>().ok()));
    // Back to the picker after a quiet spell: the header watches for it on every page.
    if let Some(acting) = roster.acting.clone() {
        return view! {
            <section class="card" aria-labelledby="turn-heading">
                <h1 id="turn-heading">{format!("Hello, {}", acting.display_name)}</h1>
                <p>{format!("You are signed in on the {} tablet.", roster.location_name)}</p>
                <p class="actions">
                    <a class="button primary big" href="/log" rel="external">"Log a recovery"</a>
                    <a class="button" href="/today" rel="external">"Today"</a>
                    <a class="button" href="/my-log" rel="external">"My log"</a>
                </p>
                <ActionForm action=end_turn>
                    <button type="submit" class="button">"Done — back to the picker"</button>
                </ActionForm>
            </section>
        }
        .into_any();
    }
    let people = roster.people.clone();
    view! {
        <section class="card" aria-labelledby="picker-heading">
            <h1 id="picker-heading">{format!("Who is it? · {}", roster.location_name)}</h1>
            {move || match chosen().and_then(|id| people.iter().find(|p| p.person_id == id).cloned()) {
                Some(person) => view! {
                    <h2>{person.display_name.clone()}</h2>
                    <ActionForm action=pin_switch attr:class="stack">
                        <input type="hidden" name="person_id" value=person.person_id.to_string()/>
                        <label for="pin">"Your PIN"</label>
                        <input id="pin" name="pin" type="password" inputmode="numeric" pattern="[0-9]*"
                            autocomplete="off" minlength="4" maxlength="8" required/>
                        <button type="submit" class="button primary">"Start my turn"</button>
                    </ActionForm>
                    <ActionError message=Signal::derive(move || pin_switch.value().with(error_message))/>
                    <p><a href="/tablet" rel="external">"Not you? Back to the list"</a></p>
                }.into_any(),
                None => view! {
                    <ul class="tiles" role="list">
                        {roster.people.iter().map(|p| view! {
                            <li>
                                <a class="tile" href=format!("/tablet?person={}", p.person_id)>
                                    <span class="tile-name">{p.display_name.clone()}</span>
                                    <span class="tile-note">{p.team.clone().unwrap_or_default()}</span>
                                </a>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
    .into_any()
}

/// A supervisor's own device: offer to turn it into a location's shared tablet.
#[component]
fn SetUp(set_up: ServerAction<SetUpTablet>) -> impl IntoView {
    let me = Resource::new(|| (), |_| who_am_i());
    view! {
        <section class="card" aria-labelledby="set-up-heading">
            <h1 id="set-up-heading">"Set up a shared tablet"</h1>
            <p>"This device becomes the tablet of one location: its staff sign in with their PIN. Your own session on this device ends."</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let locations = me.await.ok().flatten().map(|me| me.tablet_locations).unwrap_or_default();
                    if locations.is_empty() {
                        return view! { <p class="error" role="alert">"Only a supervisor of a location can set up its tablet."</p> }.into_any();
                    }
                    locations.into_iter().map(|(id, name)| view! {
                        <ActionForm action=set_up>
                            <input type="hidden" name="location_id" value=id.to_string()/>
                            <button type="submit" class="button">{format!("Use as the tablet of {name}")}</button>
                        </ActionForm>
                    }).collect_view().into_any()
                })}
            </Suspense>
            <ActionError message=Signal::derive(move || set_up.value().with(error_message))/>
        </section>
    }
}
