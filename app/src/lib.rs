//! Goodwill, the service-recovery ledger: the shared application crate.
//!
//! `domain` holds the pure rules (also compiled to wasm), `store` the database (server
//! only), `api` the server functions, `pages` and `components` the UI rendered on the server
//! and hydrated in the browser.

pub mod api;
#[cfg(feature = "ssr")]
pub mod auth;
pub mod components;
pub mod domain;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    StaticSegment,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <AutoReload options=options.clone()/>
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
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/goodwill.css"/>
        <Title text="Goodwill"/>
        <Router>
            <header class="site-header">
                <a class="brand" href="/">"Goodwill"</a>
                <span class="tagline">"the service-recovery ledger"</span>
            </header>
            <main>
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=StaticSegment("") view=pages::home::HomePage/>
                </Routes>
            </main>
        </Router>
    }
}
