//! Throttling of password and PIN attempts. Pure: the failure times and `now` come in as
//! arguments; the store reserves each attempt under a lock after these rules allow it (see
//! `store::security`), so concurrent guesses are counted before any is evaluated.
//!
//! Passwords slow down rather than lock: after a few failures for one username from one
//! address, each further attempt from there waits twice as long as the one before (up to a
//! cap), so a stranger cannot lock a person out from elsewhere, and a guesser gets a handful
//! of tries an hour. PINs lock per person per tablet, per person across tablets, and per
//! tablet; they never touch password sign-in.

use chrono::{DateTime, Duration, Utc};
use store::security::{AttemptHistory, AttemptKeys};

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

/// A growing delay: `free` failures cost nothing; after that each attempt must wait
/// `first`, then twice as long for every further failure, at most `cap`, counted from the
/// latest failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelayRule {
    pub free: usize,
    pub first: Duration,
    pub cap: Duration,
    pub window: Duration,
}

impl DelayRule {
    pub fn check(
        &self,
        failures: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> Result<(), DateTime<Utc>> {
        let recent: Vec<&DateTime<Utc>> = failures
            .iter()
            .filter(|t| **t > now - self.window)
            .collect();
        if recent.len() < self.free {
            return Ok(());
        }
        let doublings = (recent.len() - self.free).min(20) as i32;
        let wait = (self.first * 2i32.pow(doublings as u32)).min(self.cap);
        let latest = **recent.last().expect("at least `free` failures");
        let release = latest + wait;
        if now >= release {
            Ok(())
        } else {
            Err(release)
        }
    }
}

/// One username from one address: 5 free tries, then 30 s, 1 min, 2 min, … up to 15 min.
pub const PASSWORD_FROM_CLIENT: DelayRule = DelayRule {
    free: 5,
    first: Duration::seconds(30),
    cap: Duration::minutes(15),
    window: Duration::hours(1),
};
/// One username from everywhere: guessing spread over many addresses.
pub const PASSWORD_ANYWHERE: ThrottleRule = ThrottleRule {
    max_failures: 50,
    window: Duration::minutes(15),
};
/// One person's PIN across every tablet.
pub const PIN_ANYWHERE: ThrottleRule = ThrottleRule {
    max_failures: 10,
    window: Duration::minutes(15),
};
/// The longest window any rule looks back over: how far back the store reads.
pub const LONGEST_WINDOW: Duration = Duration::hours(1);

/// Whom a password attempt names, in the throttle and the security log: the organisation's
/// short name and the username as typed (known or not, alike).
pub fn password_subject(organisation: &str, username: &str) -> String {
    format!(
        "user:{}/{}",
        organisation.trim().to_lowercase(),
        username.trim().to_lowercase()
    )
}

/// What a password attempt is counted against: [`password_subject`] and the client's address.
pub fn password_keys(organisation: &str, username: &str, client: &str) -> AttemptKeys {
    AttemptKeys {
        subject: password_subject(organisation, username),
        device: format!("client:{client}"),
    }
}

/// What a PIN attempt is counted against: the person and the device (a tablet session).
pub fn pin_keys(person_id: i64, device: &str) -> AttemptKeys {
    AttemptKeys {
        subject: format!("person:{person_id}"),
        device: device.to_string(),
    }
}

/// Which rules an attempt is checked against.
#[derive(Clone, Copy, Debug)]
pub enum Rules {
    Password,
    Pin,
}

impl Rules {
    /// Allowed, or refused until a time: the latest of the rules' release times.
    pub fn decide(self, history: &AttemptHistory, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        let refusals = match self {
            Rules::Password => [
                PASSWORD_FROM_CLIENT
                    .check(&history.subject_on_device, now)
                    .err(),
                PASSWORD_ANYWHERE.check(&history.subject, now).err(),
                PER_CLIENT.check(&history.device, now).err(),
            ],
            Rules::Pin => [
                PER_PERSON.check(&history.subject_on_device, now).err(),
                PIN_ANYWHERE.check(&history.subject, now).err(),
                PER_CLIENT.check(&history.device, now).err(),
            ],
        };
        match refusals.into_iter().flatten().max() {
            Some(until) => Err(until),
            None => Ok(()),
        }
    }
}

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
    fn password_delays_double_after_five_failures_and_stop_at_the_cap() {
        let rule = PASSWORD_FROM_CLIENT;
        let five: Vec<_> = (0..5).map(t).collect();
        // The sixth attempt waits 30 s after the fifth failure.
        assert_eq!(rule.check(&five, t(4)), Err(t(4) + Duration::seconds(30)));
        assert_eq!(rule.check(&five, t(4) + Duration::seconds(30)), Ok(()));
        let seven: Vec<_> = (0..7).map(t).collect();
        assert_eq!(rule.check(&seven, t(6)), Err(t(6) + Duration::minutes(2)));
        let forty: Vec<_> = (0..40).map(|i| t(0) + Duration::seconds(i)).collect();
        let latest = *forty.last().unwrap();
        assert_eq!(
            rule.check(&forty, latest),
            Err(latest + Duration::minutes(15))
        );
    }

    #[test]
    fn pin_failures_never_slow_a_password() {
        let history = AttemptHistory {
            subject_on_device: (0..5).map(t).collect(),
            subject: (0..5).map(t).collect(),
            device: (0..5).map(t).collect(),
        };
        // The same history refuses a PIN at once; the password rules give a 30 s pause at
        // most. The store keeps the two kinds apart (see store::security).
        assert_eq!(Rules::Pin.decide(&history, t(5)), Err(t(15)));
        assert_eq!(Rules::Password.decide(&history, t(5)), Ok(()));
    }

    #[test]
    fn many_failures_lock_until_enough_have_left_the_window() {
        let failures: Vec<_> = (0..8).map(t).collect();
        // The newest five are minutes 3..=7; unlocked when minute 3 leaves the window.
        assert_eq!(PER_PERSON.check(&failures, t(8)), Err(t(18)));
    }
}
