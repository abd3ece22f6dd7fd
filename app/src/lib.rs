//! Goodwill, the service-recovery ledger: the shared application crate.
//!
//! `domain` holds the pure rules (also compiled to wasm), `store` the database (server
//! only), `api` the server functions, `pages` and `components` the UI rendered on the server
//! and hydrated in the browser.

pub mod api;
#[cfg(feature = "ssr")]
pub use services::auth;
pub mod components;
pub use ::domain;
#[cfg(feature = "ssr")]
pub use services::events;
#[cfg(feature = "ssr")]
pub use services::learning;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub use ::services;
#[cfg(feature = "ssr")]
pub use ::store;
/// The monthly summary's computation (`summary::compute`), as the store tests and the bench
/// call it; the use cases behind the page are `services::summary`.
#[cfg(feature = "ssr")]
pub use services::summary;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    ParamSegment, SsrMode, StaticSegment,
};

/// The Content-Security-Policy of every page: scripts only from this site or carrying this
/// response's nonce (Leptos's inline hydration script), wasm allowed, nothing framed.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(value) =
            axum::http::HeaderValue::from_str(&content_security_policy(&nonce.to_string()))
        {
            response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <AutoReload options=options.clone()/>
                // The built stylesheet, by its hashed name when the build hashes its assets.
                <HashedStylesheet id="leptos" options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    use components::feedback::page;
    provide_meta_context();
    provide_context(components::header::SessionChanged(RwSignal::new(0)));
    provide_context(components::outbox::OutboxCounts::new());
    // Effects run in the browser only.
    Effect::new(|_| components::offline::register());
    view! {
        <Title text="Goodwill"/>
        // In-order streaming: every page arrives as complete HTML, so it reads and works
        // before (or without) the wasm; out-of-order fragments would need a script to appear.
        // `page`: an error in the address is shown in the app's own words only.
        <Router>
            <components::header::SiteHeader/>
            <main>
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=StaticSegment("") view=page(pages::home::HomePage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("sign-in") view=page(pages::sign_in::SignInPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("tablet") view=page(pages::tablet::TabletPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("admin") view=page(pages::admin::AdminPage) ssr=SsrMode::InOrder/>
                    <Route path=(StaticSegment("admin"), StaticSegment("privacy")) view=page(pages::privacy::PrivacyPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("account") view=page(pages::account::AccountPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("unlock") view=page(pages::account::UnlockPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("today") view=page(pages::today::TodayPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("log") view=page(pages::log::LogPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("my-log") view=page(pages::my_log::MyLogPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("approvals") view=page(pages::approvals::ApprovalsPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("spend") view=page(pages::console::SpendPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("review") view=page(pages::console::ReviewPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("sample") view=page(pages::console::SamplePage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("budgets") view=page(pages::console::BudgetsPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("improvements") view=page(pages::improvements::ImprovementsPage) ssr=SsrMode::InOrder/>
                    <Route path=(StaticSegment("improvements"), ParamSegment("id")) view=page(pages::improvements::ImprovementPage) ssr=SsrMode::InOrder/>
                    <Route path=StaticSegment("summary") view=page(pages::summary::SummaryPage) ssr=SsrMode::InOrder/>
                </Routes>
            </main>
        </Router>
    }
}
