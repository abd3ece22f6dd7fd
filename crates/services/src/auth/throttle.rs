//! Throttling of password and PIN attempts: after too many failures inside a window, a
//! person (or a client) is locked out until the oldest counted failure leaves the window.
//! Pure: the failure times and `now` come in as arguments.

use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleRule {
    /// Failures allowed inside the window; the next attempt is refused.
    pub max_failures: usize,
    pub window: Duration,
}

/// Per person: 5 failures in 15 minutes. A PIN has only 10,000–100,000,000 values, so this is
/// what keeps guessing slow.
pub const PER_PERSON: ThrottleRule = ThrottleRule {
    max_failures: 5,
    window: Duration::minutes(15),
};
/// Per client (address): 20 failures in 15 minutes, whoever they were for.
pub const PER_CLIENT: ThrottleRule = ThrottleRule {
    max_failures: 20,
    window: Duration::minutes(15),
};

impl ThrottleRule {
    /// `failures` oldest first, already limited to the window or not. Returns `Err(retry_at)`
    /// when locked out.
    pub fn check(
        &self,
        failures: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> Result<(), DateTime<Utc>> {
        let recent: Vec<&DateTime<Utc>> = failures
            .iter()
            .filter(|t| **t > now - self.window)
            .collect();
        if recent.len() < self.max_failures {
            return Ok(());
        }
        // Locked until enough failures leave the window to drop below the limit.
        let release = recent[recent.len() - self.max_failures];
        Err(*release + self.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap() + Duration::minutes(minute)
    }

    #[test]
    fn four_failures_still_allow_an_attempt() {
        assert_eq!(PER_PERSON.check(&[t(0), t(1), t(2), t(3)], t(4)), Ok(()));
    }

    #[test]
    fn the_fifth_failure_locks_until_the_oldest_leaves_the_window() {
        let failures = [t(0), t(1), t(2), t(3), t(4)];
        assert_eq!(PER_PERSON.check(&failures, t(5)), Err(t(15)));
        assert_eq!(PER_PERSON.check(&failures, t(15)), Ok(()));
    }

    #[test]
    fn old_failures_do_not_count() {
        let failures = [t(-60), t(-50), t(-40), t(-30), t(1)];
        assert_eq!(PER_PERSON.check(&failures, t(2)), Ok(()));
    }

    #[test]
    fn many_failures_lock_until_enough_have_left_the_window() {
        let failures: Vec<_> = (0..8).map(t).collect();
        // The newest five are minutes 3..=7; unlocked when minute 3 leaves the window.
        assert_eq!(PER_PERSON.check(&failures, t(8)), Err(t(18)));
    }
}
