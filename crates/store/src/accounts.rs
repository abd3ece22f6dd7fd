//! Accounts: credentials, sessions, sign-in failures (for throttling) and the audit log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{dispatch, Store, StoreError, WritePool};

/// What sign-in needs to know about a person. Deliberately neither `Serialize` nor `Debug`:
/// the hashes never leave the server and never reach a log.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub person_id: i64,
    pub username: String,
    /// The organisation's short name: with the username, what sign-in asks for.
    pub organisation_slug: String,
    pub organisation_id: i64,
    pub location_id: i64,
    pub active: bool,
    pub password_hash: Option<String>,
    pub pin_hash: Option<String>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub organisation_id: i64,
    pub person_id: i64,
    pub tablet_location_id: Option<i64>,
    /// On a tablet, the running turn (not ended by hand or by the next PIN): its id, its
    /// person, its idle end and its longest end.
    pub turn_id: Option<i64>,
    pub acting_person_id: Option<i64>,
    pub acting_until: Option<DateTime<Utc>>,
    pub turn_ends_at: Option<DateTime<Utc>>,
    pub turn_salt: Option<String>,
    /// The running turn's person entered their password (step-up).
    pub turn_stepped_up_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub organisation_id: i64,
    pub person_id: i64,
    pub tablet_location_id: Option<i64>,
    pub client: &'a str,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptKind {
    Password,
    Pin,
}

impl AttemptKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Password => "password",
            AttemptKind::Pin => "pin",
        }
    }
}

/// Which of a person's secrets a hash is for.
#[derive(Clone, Copy)]
enum Secret {
    Password,
    Pin,
}

/// One administrative change for the audit log.
pub struct NewAuditEntry<'a> {
    pub organisation_id: i64,
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub subject: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_name: Option<String>,
    pub action: String,
    pub subject: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub at: DateTime<Utc>,
}

const CREDENTIAL_COLUMNS: &str =
    "p.id AS person_id, p.username, o.slug AS organisation_slug, p.organisation_id, p.location_id,
     p.active, p.password_hash, p.pin_hash";
const SESSION_COLUMNS: &str =
    "s.id, s.organisation_id, s.person_id, s.tablet_location_id, t.id AS turn_id,
     t.person_id AS acting_person_id, t.active_until AS acting_until, t.ends_at AS turn_ends_at,
     t.salt AS turn_salt, t.stepped_up_at AS turn_stepped_up_at,
     s.created_at, s.last_seen_at, s.expires_at, s.revoked_at";
/// A session with its running tablet turn, if any.
const SESSION_FROM: &str =
    "sessions s LEFT JOIN tablet_turns t ON t.id = s.acting_turn_id AND t.ended_at IS NULL";

/// A PIN turn on a shared tablet, as a deferred entry is checked against it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TurnRow {
    pub id: i64,
    pub session_id: i64,
    pub organisation_id: i64,
    pub location_id: i64,
    pub person_id: i64,
    pub started_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A turn about to start.
pub struct NewTurn<'a> {
    pub session_id: i64,
    pub organisation_id: i64,
    pub location_id: i64,
    pub person_id: i64,
    pub token_hash: &'a str,
    pub salt: &'a str,
    pub active_until: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Store {
    /// The credentials of `username` in the organisation whose short name (slug) is
    /// `organisation`: usernames are unique within an organisation only.
    pub async fn credentials_by_username(
        &self,
        organisation: &str,
        username: &str,
    ) -> Result<Option<Credentials>, StoreError> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM people p JOIN organisations o ON o.id = p.organisation_id
              WHERE o.slug = $1 AND p.username = $2"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql)
                .bind(organisation.trim().to_lowercase())
                .bind(username.trim().to_lowercase())
                .fetch_optional(pool)
                .await?
        }))
    }

    pub async fn credentials_of(
        &self,
        organisation_id: i64,
        person_id: i64,
    ) -> Result<Option<Credentials>, StoreError> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM people p JOIN organisations o ON o.id = p.organisation_id
              WHERE p.id = $1 AND p.organisation_id = $2"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(person_id).bind(organisation_id).fetch_optional(pool).await?
        }))
    }

    pub async fn create_session(
        &self,
        new: &NewSession<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO sessions (token_hash, organisation_id, person_id, tablet_location_id, client,
                                       created_at, last_seen_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id",
            )
            .bind(new.token_hash)
            .bind(new.organisation_id)
            .bind(new.person_id)
            .bind(new.tablet_location_id)
            .bind(new.client)
            .bind(now)
            .bind(new.expires_at)
            .fetch_one(pool)
            .await?
        }))
    }

    pub async fn session_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionRow>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM {SESSION_FROM} WHERE s.token_hash = $1");
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await?
        }))
    }

    pub async fn touch_session(
        &self,
        session_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1").bind(session_id).bind(now).execute(pool).await?;
        });
        Ok(())
    }

    /// Starts a turn on a tablet session: the turn running before it (if any) ends now.
    pub async fn start_turn(
        &self,
        new: &NewTurn<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(dispatch!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE tablet_turns SET ended_at = $2 WHERE session_id = $1 AND ended_at IS NULL")
                .bind(new.session_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO tablet_turns (session_id, organisation_id, location_id, person_id, token_hash,
                                           salt, started_at, active_until, ends_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(new.session_id)
            .bind(new.organisation_id)
            .bind(new.location_id)
            .bind(new.person_id)
            .bind(new.token_hash)
            .bind(new.salt)
            .bind(now)
            .bind(new.active_until)
            .bind(new.ends_at)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE sessions SET acting_turn_id = $2 WHERE id = $1")
                .bind(new.session_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            id
        }))
    }

    /// Pushes a running turn's idle end forward (the caller keeps it within the turn's
    /// longest end).
    pub async fn extend_turn(
        &self,
        turn_id: i64,
        active_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            sqlx::query("UPDATE tablet_turns SET active_until = $2 WHERE id = $1 AND ended_at IS NULL")
                .bind(turn_id)
                .bind(active_until)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends the tablet session's running turn (if any): back to the picker.
    pub async fn end_turn(&self, session_id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE tablet_turns SET ended_at = $2 WHERE session_id = $1 AND ended_at IS NULL")
                .bind(session_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE sessions SET acting_turn_id = NULL WHERE id = $1")
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The turn a token names, whatever its state.
    pub async fn turn_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<TurnRow>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT id, session_id, organisation_id, location_id, person_id, started_at, ends_at, ended_at
                 FROM tablet_turns WHERE token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await?
        }))
    }

    pub async fn revoke_session(
        &self,
        session_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(session_id)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Revokes every live session a person signed in with; returns how many.
    pub async fn revoke_sessions_of(
        &self,
        organisation_id: i64,
        person_id: i64,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query(
                "UPDATE sessions SET revoked_at = $3
                 WHERE organisation_id = $1 AND person_id = $2 AND revoked_at IS NULL",
            )
            .bind(organisation_id)
            .bind(person_id)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    /// Marks a running turn as stepped up (its person entered their password).
    pub async fn step_up_turn(&self, turn_id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            sqlx::query("UPDATE tablet_turns SET stepped_up_at = $2 WHERE id = $1 AND ended_at IS NULL")
                .bind(turn_id)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends every live session of a person but one (the one they are using).
    pub async fn revoke_other_sessions(
        &self,
        organisation_id: i64,
        person_id: i64,
        keep_session_id: i64,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query(
                "UPDATE sessions SET revoked_at = $4
                 WHERE organisation_id = $1 AND person_id = $2 AND id <> $3 AND revoked_at IS NULL",
            )
            .bind(organisation_id)
            .bind(person_id)
            .bind(keep_session_id)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    pub async fn set_password_hash(
        &self,
        organisation_id: i64,
        person_id: i64,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        self.set_secret_hash(Secret::Password, organisation_id, person_id, password_hash)
            .await
    }

    pub async fn set_pin_hash(
        &self,
        organisation_id: i64,
        person_id: i64,
        pin_hash: &str,
    ) -> Result<(), StoreError> {
        self.set_secret_hash(Secret::Pin, organisation_id, person_id, pin_hash)
            .await
    }

    async fn set_secret_hash(
        &self,
        secret: Secret,
        organisation_id: i64,
        person_id: i64,
        hash: &str,
    ) -> Result<(), StoreError> {
        let sql = match secret {
            Secret::Password => {
                "UPDATE people SET password_hash = $3 WHERE id = $1 AND organisation_id = $2"
            }
            Secret::Pin => "UPDATE people SET pin_hash = $3 WHERE id = $1 AND organisation_id = $2",
        };
        let updated = dispatch!(self, pool => {
            sqlx::query(sql)
                .bind(person_id)
                .bind(organisation_id)
                .bind(hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::NotFound("person"));
        }
        Ok(())
    }

    /// Deactivates or reactivates a person. Their history stays; a deactivated person
    /// cannot sign in and their sessions are revoked by the caller.
    pub async fn set_person_active(
        &self,
        organisation_id: i64,
        person_id: i64,
        active: bool,
    ) -> Result<(), StoreError> {
        let updated = dispatch!(self, pool => {
            sqlx::query("UPDATE people SET active = $3 WHERE id = $1 AND organisation_id = $2")
                .bind(person_id)
                .bind(organisation_id)
                .bind(active)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::NotFound("person"));
        }
        Ok(())
    }

    /// Appends to the audit log. `before` and `after` are JSON snapshots (never secrets).
    pub async fn audit(
        &self,
        entry: &NewAuditEntry<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let NewAuditEntry {
            organisation_id,
            actor_id,
            action,
            subject,
            before,
            after,
        } = entry;
        dispatch!(self, pool => {
            sqlx::query(
                "INSERT INTO audit_log (organisation_id, actor_id, action, subject, before_json, after_json, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(organisation_id)
            .bind(actor_id)
            .bind(action)
            .bind(subject)
            .bind(before.as_ref().map(|v| v.to_string()))
            .bind(after.as_ref().map(|v| v.to_string()))
            .bind(at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn audit_log(
        &self,
        organisation_id: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT a.id, p.display_name AS actor_name, a.action, a.subject, a.before_json, a.after_json, a.at
                 FROM audit_log a LEFT JOIN people p ON p.id = a.actor_id
                 WHERE a.organisation_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT $2",
            )
            .bind(organisation_id)
            .bind(limit.clamp(1, 500))
            .fetch_all(pool)
            .await?
        }))
    }
}
