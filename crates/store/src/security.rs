//! Sign-in attempts and the security log.
//!
//! An attempt is reserved before its password or PIN is checked: under the subject's and the
//! device's locks, the recent failures are read, the caller's rule decides, and only then is
//! a `pending` row written. Concurrent guesses for one subject are therefore counted one after
//! the other, and no more of them reach the hash than the rule allows. The attempt is then
//! marked `failed` or `succeeded`; a success ends the subject's run of failures without
//! deleting it. The security log is append-only (a trigger refuses updates and deletes).

use chrono::{DateTime, Utc};

use super::{accounts::AttemptKind, dispatch, Store, StoreError, WritePool};

/// Who an attempt is for and where it comes from: `user:<username>` or `person:<id>`, and
/// `client:<address>` or `tablet:<session id>`.
#[derive(Clone, Debug)]
pub struct AttemptKeys {
    pub subject: String,
    pub device: String,
}

/// The recent failures (and reservations still running) a throttle rule decides on, oldest
/// first, all since the window's start.
#[derive(Clone, Debug, Default)]
pub struct AttemptHistory {
    /// This subject from this device, since the subject's last success.
    pub subject_on_device: Vec<DateTime<Utc>>,
    /// This subject from any device, since the subject's last success.
    pub subject: Vec<DateTime<Utc>>,
    /// Any subject from this device.
    pub device: Vec<DateTime<Utc>>,
}

/// What a reservation came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt may be checked; finish it with [`Store::finish_attempt`].
    Reserved(i64),
    /// Refused until this time.
    Refused(DateTime<Utc>),
}

/// One line of the security log.
#[derive(Clone, Debug)]
pub struct SecurityEvent<'a> {
    pub organisation_id: Option<i64>,
    pub person_id: Option<i64>,
    /// `sign-in`, `sign-in-failed`, `sign-in-refused`, `pin-turn`, `pin-failed`,
    /// `pin-refused`, `turn-ended`, `tablet-set-up`, `signed-out`, `password-changed`, …
    pub kind: &'a str,
    /// What the attempt named (a username as typed, `person:<id>`); never a secret.
    pub subject: &'a str,
    pub client: &'a str,
    pub at: DateTime<Utc>,
}

/// A line of the security log as read back.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SecurityEventRow {
    pub id: i64,
    pub organisation_id: Option<i64>,
    pub person_id: Option<i64>,
    pub kind: String,
    pub subject: String,
    pub client: String,
    pub at: DateTime<Utc>,
}

const SUBJECT_FAILURES: &str = "SELECT started_at, device FROM sign_in_attempts
     WHERE kind = $1 AND subject = $2 AND outcome <> 'succeeded' AND started_at >= $3
       AND started_at > COALESCE((SELECT MAX(started_at) FROM sign_in_attempts
                                  WHERE kind = $1 AND subject = $2 AND outcome = 'succeeded'), $3)
     ORDER BY started_at";
const DEVICE_FAILURES: &str = "SELECT started_at FROM sign_in_attempts
     WHERE kind = $1 AND device = $2 AND outcome <> 'succeeded' AND started_at >= $3
     ORDER BY started_at";

impl Store {
    /// Reserves an attempt if `decide` allows it on the failures since `since`; see the
    /// module's documentation.
    pub async fn reserve_attempt<F>(
        &self,
        kind: AttemptKind,
        keys: &AttemptKeys,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<Reservation, StoreError>
    where
        F: FnOnce(&AttemptHistory) -> Result<(), DateTime<Utc>>,
    {
        let mut lock_keys = [
            format!("{}:{}", kind.as_str(), keys.subject),
            format!("{}:{}", kind.as_str(), keys.device),
        ];
        // Always in the same order, so two reservations never wait on each other.
        lock_keys.sort();
        Ok(dispatch!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for key in &lock_keys {
                sqlx::query(
                    "INSERT INTO sign_in_locks (key) VALUES ($1)
                     ON CONFLICT (key) DO UPDATE SET key = excluded.key",
                )
                .bind(key)
                .execute(&mut *tx)
                .await?;
            }
            let subject: Vec<(DateTime<Utc>, String)> = sqlx::query_as(SUBJECT_FAILURES)
                .bind(kind.as_str())
                .bind(&keys.subject)
                .bind(since)
                .fetch_all(&mut *tx)
                .await?;
            let device: Vec<(DateTime<Utc>,)> = sqlx::query_as(DEVICE_FAILURES)
                .bind(kind.as_str())
                .bind(&keys.device)
                .bind(since)
                .fetch_all(&mut *tx)
                .await?;
            let history = AttemptHistory {
                subject_on_device: subject
                    .iter()
                    .filter(|(_, device)| *device == keys.device)
                    .map(|(at, _)| *at)
                    .collect(),
                subject: subject.iter().map(|(at, _)| *at).collect(),
                device: device.into_iter().map(|(at,)| at).collect(),
            };
            match decide(&history) {
                Err(until) => {
                    tx.rollback().await?;
                    Reservation::Refused(until)
                }
                Ok(()) => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO sign_in_attempts (kind, subject, device, started_at, outcome)
                         VALUES ($1, $2, $3, $4, 'pending') RETURNING id",
                    )
                    .bind(kind.as_str())
                    .bind(&keys.subject)
                    .bind(&keys.device)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Reservation::Reserved(id)
                }
            }
        }))
    }

    /// Marks a reserved attempt failed or succeeded.
    pub async fn finish_attempt(&self, attempt_id: i64, succeeded: bool) -> Result<(), StoreError> {
        let outcome = if succeeded { "succeeded" } else { "failed" };
        dispatch!(self, pool => {
            sqlx::query("UPDATE sign_in_attempts SET outcome = $2 WHERE id = $1 AND outcome = 'pending'")
                .bind(attempt_id)
                .bind(outcome)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Drops a reservation that was never evaluated (the machine was too busy to check it).
    pub async fn cancel_attempt(&self, attempt_id: i64) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            sqlx::query("DELETE FROM sign_in_attempts WHERE id = $1 AND outcome = 'pending'")
                .bind(attempt_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends a subject's run of failures without an attempt (an administrator set a new PIN
    /// or password): written as a success from `device`.
    pub async fn forgive_attempts(
        &self,
        kind: AttemptKind,
        keys: &AttemptKeys,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            sqlx::query(
                "INSERT INTO sign_in_attempts (kind, subject, device, started_at, outcome)
                 VALUES ($1, $2, $3, $4, 'succeeded')",
            )
            .bind(kind.as_str())
            .bind(&keys.subject)
            .bind(&keys.device)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn record_security_event(&self, event: &SecurityEvent<'_>) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            sqlx::query(
                "INSERT INTO security_events (organisation_id, person_id, kind, subject, client, at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(event.organisation_id)
            .bind(event.person_id)
            .bind(event.kind)
            .bind(event.subject)
            .bind(event.client)
            .bind(event.at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The security log of a subject as typed (`subject`), newest first: what an attempt
    /// left behind, known organisation or not.
    pub async fn security_events_for(
        &self,
        subject: &str,
        limit: i64,
    ) -> Result<Vec<SecurityEventRow>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT id, organisation_id, person_id, kind, subject, client, at FROM security_events
                 WHERE subject = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(subject)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    /// An organisation's security log, newest first.
    pub async fn security_events(
        &self,
        organisation_id: i64,
        limit: i64,
    ) -> Result<Vec<SecurityEventRow>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT id, organisation_id, person_id, kind, subject, client, at FROM security_events
                 WHERE organisation_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(organisation_id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }
}
