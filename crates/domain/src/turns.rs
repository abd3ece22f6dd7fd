//! Turns on a shared tablet: which turn a deferred entry belongs to.
//!
//! A person's turn runs from their PIN until it is ended by hand, by the next person's PIN,
//! or by its longest length. While the tablet is offline the server cannot see the person's
//! taps, so its idle end is not a bound for what they captured: the device's own idle timer
//! ends the turn on the device (and stops stamping entries with it).

use chrono::{DateTime, Duration, Utc};

/// How far a tablet's clock may be from the server's when a capture time is compared with
/// a turn.
pub const CLOCK_SKEW: Duration = Duration::minutes(2);

/// A turn as far as the rule needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TurnSpan {
    pub started_at: DateTime<Utc>,
    /// The longest end.
    pub ends_at: DateTime<Utc>,
    /// Ended by hand or by the next PIN, if it was.
    pub ended_at: Option<DateTime<Utc>>,
}

impl TurnSpan {
    /// When the turn stopped (or will stop at the latest).
    pub fn last_moment(&self) -> DateTime<Utc> {
        self.ended_at.map_or(self.ends_at, |e| e.min(self.ends_at))
    }

    /// Did this turn cover `captured_at` (within the clock skew either side)?
    pub fn covers(&self, captured_at: DateTime<Utc>) -> bool {
        captured_at >= self.started_at - CLOCK_SKEW
            && captured_at <= self.last_moment() + CLOCK_SKEW
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap() + Duration::minutes(minute)
    }

    fn span(ended: Option<i64>) -> TurnSpan {
        TurnSpan {
            started_at: t(0),
            ends_at: t(30),
            ended_at: ended.map(t),
        }
    }

    #[test]
    fn a_running_turn_covers_until_its_longest_end() {
        assert!(span(None).covers(t(0)));
        assert!(span(None).covers(t(29)));
        assert!(span(None).covers(t(31)), "within the clock skew");
        assert!(!span(None).covers(t(33)));
    }

    #[test]
    fn an_ended_turn_covers_nothing_after_it_ended() {
        assert!(span(Some(5)).covers(t(4)));
        assert!(!span(Some(5)).covers(t(8)));
    }

    #[test]
    fn nothing_before_the_pin_belongs_to_the_turn() {
        assert!(!span(None).covers(t(-3)));
        assert!(span(None).covers(t(-1)), "within the clock skew");
    }

    #[test]
    fn an_end_recorded_after_the_longest_end_does_not_stretch_it() {
        assert!(!span(Some(90)).covers(t(60)));
    }
}
