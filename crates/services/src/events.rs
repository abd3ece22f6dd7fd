//! Ledger events inside one app server: when a request starts waiting for approval or is
//! resolved, open approval queues refresh at once (server-sent events). With several app
//! servers each one only hears its own writes, so the queue page also polls as a fallback.

use tokio::sync::broadcast;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerEvent {
    pub organisation_id: i64,
    pub location_id: i64,
}

#[derive(Clone, Debug)]
pub struct LedgerEvents(broadcast::Sender<LedgerEvent>);

impl Default for LedgerEvents {
    fn default() -> Self {
        // Listeners only need "something changed"; a slow one that lags just refreshes.
        Self(broadcast::channel(256).0)
    }
}

impl LedgerEvents {
    /// Tells listeners that the approval queue of a location changed.
    pub fn queue_changed(&self, organisation_id: i64, location_id: i64) {
        // No listeners is fine.
        let _ = self.0.send(LedgerEvent {
            organisation_id,
            location_id,
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LedgerEvent> {
        self.0.subscribe()
    }
}
