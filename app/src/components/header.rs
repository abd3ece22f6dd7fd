//! The site header: the brand, who is signed in (or which tablet this is), and sign-out.

use leptos::prelude::*;

use leptos_router::hooks::use_location;

use crate::{
    api::session::{who_am_i, SignOut},
    components::offline::{self, PagesChanged},
};

/// Bumped by actions that change who is signed in without changing the page's address
/// (setting up a tablet, a PIN switch, ending a turn), so the header asks again.
#[derive(Clone, Copy)]
pub struct SessionChanged(pub RwSignal<u32>);

impl SessionChanged {
    pub fn bump(&self) {
        self.0.update(|n| *n += 1);
    }
}

/// Bumps the session signal whenever one of these action versions changes.
pub fn bump_session_on(versions: impl Fn() -> usize + Send + Sync + 'static) {
    let changed = use_context::<SessionChanged>();
    Effect::new(move |previous: Option<usize>| {
        let version = versions();
        if previous.is_some_and(|p| p != version) {
            if let Some(changed) = changed {
                changed.bump();
            }
        }
        version
    });
}

#[component]
pub fn SiteHeader() -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let location = use_location();
    let changed = expect_context::<SessionChanged>();
    // Sign-in, tablet set-up and PIN switches end in a navigation: ask again on each one.
    let me = Resource::new(
        move || {
            (
                sign_out.version().get(),
                changed.0.get(),
                location.pathname.get(),
                location.search.get(),
            )
        },
        |_| who_am_i(),
    );
    // Whoever the pages are for changed while this page was open (a turn started or ended,
    // someone signed in or out): the service worker's kept pages are someone else's now.
    // Compared within the page's life only: a page kept offline carries its own, older answer.
    Effect::new(move |previous: Option<Option<String>>| {
        let who = match me.get() {
            Some(Ok(me)) => me
                .map(|me| {
                    format!(
                        "{}\u{1f}{}",
                        me.display_name,
                        me.tablet_location.unwrap_or_default()
                    )
                })
                .unwrap_or_default(),
            // Loading, or no answer (offline): nothing is known to have changed.
            _ => return previous.flatten(),
        };
        if previous.flatten().is_some_and(|before| before != who) {
            offline::tell(PagesChanged::TurnChanged);
        }
        Some(who)
    });
    // Effects run only in the browser: the marker tells tests (and CSS) the page is live.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <header class="site-header" data-hydrated=move || hydrated.get().to_string()>
            <a class="brand" href="/">"Goodwill"</a>
            <span class="tagline">"the service-recovery ledger"</span>
            <crate::components::outbox::OutboxStatus/>
            <nav class="session" aria-label="Session">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match me.await {
                            Ok(Some(me)) => {
                                let who = match (&me.tablet_location, me.display_name.is_empty()) {
                                    (Some(location), true) => format!("Shared tablet · {location}"),
                                    (Some(location), false) => format!("{} · tablet {location}", me.display_name),
                                    (None, _) => me.display_name.clone(),
                                };
                                if me.turn_idle_seconds > 0 {
                                    watch_for_idle(me.turn_idle_seconds);
                                }
                                view! {
                                    <span class="who" data-testid="signed-in-as">{who}</span>
                                    {me.password_unlocks_more.then(|| view! { <a href="/unlock">"Unlock with password"</a> })}
                                    {me.tablet_location.is_none().then(|| view! { <a href="/account">"My account"</a> })}
                                    {me.is_admin.then(|| view! { <a href="/admin">"Admin"</a> })}
                                    <ActionForm action=sign_out>
                                        <button type="submit" class="button small">"Sign out"</button>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            _ => view! { <a href="/sign-in">"Sign in"</a> }.into_any(),
                        }
                    })}
                </Suspense>
            </nav>
        </header>
    }
}

/// On a shared tablet during someone's turn, on every page: back to the picker after
/// `idle_seconds` without a tap or a key. While the person is tapping and typing, tells the
/// server now and then (at most every 30 s) so that their turn does not end under them.
fn watch_for_idle(idle_seconds: i64) {
    #[cfg(feature = "hydrate")]
    {
        use std::time::Duration;
        let now = || web_sys::js_sys::Date::now();
        let last_touch = StoredValue::new(now());
        let last_told = StoredValue::new(now());
        let touched = move || {
            last_touch.set_value(now());
            if now() - last_told.get_value() > 30_000.0 {
                last_told.set_value(now());
                leptos::task::spawn_local(async move {
                    let _ = crate::api::session::still_here().await;
                });
            }
        };
        let taps = window_event_listener(leptos::ev::pointerdown, move |_| touched());
        let keys = window_event_listener(leptos::ev::keydown, move |_| touched());
        let idle_ms = (idle_seconds.max(10) * 1000) as f64;
        let check = set_interval_with_handle(
            move || {
                if now() - last_touch.get_value() > idle_ms {
                    offline::tell(PagesChanged::TurnLeft);
                    let _ = window().location().set_href("/tablet");
                }
            },
            Duration::from_secs(1),
        )
        .ok();
        on_cleanup(move || {
            taps.remove();
            keys.remove();
            if let Some(check) = check {
                check.clear();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = idle_seconds;
}
