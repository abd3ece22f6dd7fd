//! The page's side of working offline: registers the service worker (`/sw.js`, served by the
//! server for each build) and tells it when the pages it keeps stop being right: whoever the
//! pages are for changed (a turn started or ended, someone signed in or out), or the tablet
//! went back to the picker on its own.
//! Links between the tablet pages are full page loads (`rel="external"`), not the router's
//! in-page navigation, so that offline the service worker answers them with the kept page.
//! docs/FRONT-LINE.md, "Offline", says what works offline and what does not.

/// What the service worker is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagesChanged {
    /// Whoever the pages are for changed (a PIN turn started or was ended by hand, someone
    /// signed in or out): drop the pages kept for the last one, keep the new ones.
    TurnChanged,
    /// The tablet went back to the picker on its own: drop the turn's pages without fetching
    /// them again (that would count as the person still being there).
    TurnLeft,
}

impl PagesChanged {
    fn message(self) -> &'static str {
        match self {
            PagesChanged::TurnChanged => "turn-changed",
            PagesChanged::TurnLeft => "turn-left",
        }
    }
}

/// Registers the service worker, where the browser has them (a secure context: https, or
/// this machine). A build without one answers 404 and nothing is registered.
pub fn register() {
    #[cfg(feature = "hydrate")]
    if let Some(container) = container() {
        // The promise's outcome changes nothing on the page: the pages work online either way.
        let _ = container.register("/sw.js");
    }
}

/// Tells the service worker controlling this page, if any.
pub fn tell(change: PagesChanged) {
    #[cfg(feature = "hydrate")]
    if let Some(worker) = container().and_then(|c| c.controller()) {
        let _ = worker.post_message(&change.message().into());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = change.message();
}

#[cfg(feature = "hydrate")]
fn container() -> Option<web_sys::ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    // Absent outside secure contexts: calling it there would throw.
    web_sys::js_sys::Reflect::has(&navigator, &"serviceWorker".into())
        .ok()
        .filter(|has| *has)?;
    Some(navigator.service_worker())
}
