//! Accounts: credentials, sessions, sign-in failures (for throttling) and the audit log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{dispatch, Store, StoreError};

/// What sign-in needs to know about a person. Deliberately neither `Serialize` nor `Debug`:
/// the hashes never leave the server and never reach a log.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub person_id: i64,
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
    pub acting_person_id: Option<i64>,
    pub acting_until: Option<DateTime<Utc>>,
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
    fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Password => "password",
            AttemptKind::Pin => "pin",
        }
    }
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
    "id AS person_id, organisation_id, location_id, active, password_hash, pin_hash";
const SESSION_COLUMNS: &str =
    "id, organisation_id, person_id, tablet_location_id, acting_person_id, acting_until,
     created_at, last_seen_at, expires_at, revoked_at";

impl Store {
    pub async fn credentials_by_username(
        &self,
        username: &str,
    ) -> Result<Option<Credentials>, StoreError> {
        let sql = format!("SELECT {CREDENTIAL_COLUMNS} FROM people WHERE username = $1");
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(username.trim().to_lowercase()).fetch_optional(pool).await?
        }))
    }

    pub async fn credentials_of(
        &self,
        organisation_id: i64,
        person_id: i64,
    ) -> Result<Option<Credentials>, StoreError> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM people WHERE id = $1 AND organisation_id = $2"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(person_id).bind(organisation_id).fetch_optional(pool).await?
        }))
    }

    pub async fn record_sign_in_failure(
        &self,
        kind: AttemptKind,
        person_id: Option<i64>,
        client: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            sqlx::query("INSERT INTO sign_in_failures (kind, person_id, client, failed_at) VALUES ($1, $2, $3, $4)")
                .bind(kind.as_str())
                .bind(person_id)
                .bind(client)
                .bind(at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Failure times since `since`, oldest first: for the person (if known) and for the client.
    pub async fn sign_in_failures_since(
        &self,
        person_id: Option<i64>,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<(Vec<DateTime<Utc>>, Vec<DateTime<Utc>>), StoreError> {
        type Times = Vec<(DateTime<Utc>,)>;
        let (person, client): (Times, Times) = dispatch!(self, pool => {
            let person = match person_id {
                Some(id) => sqlx::query_as(
                    "SELECT failed_at FROM sign_in_failures WHERE person_id = $1 AND failed_at >= $2 ORDER BY failed_at",
                )
                .bind(id)
                .bind(since)
                .fetch_all(pool)
                .await?,
                None => Vec::new(),
            };
            let client = sqlx::query_as(
                "SELECT failed_at FROM sign_in_failures WHERE client = $1 AND failed_at >= $2 ORDER BY failed_at",
            )
            .bind(client)
            .bind(since)
            .fetch_all(pool)
            .await?;
            (person, client)
        });
        Ok((
            person.into_iter().map(|(t,)| t).collect(),
            client.into_iter().map(|(t,)| t).collect(),
        ))
    }

    /// A successful sign-in clears the person's failures (not the client's).
    pub async fn clear_sign_in_failures(&self, person_id: i64) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            sqlx::query("DELETE FROM sign_in_failures WHERE person_id = $1").bind(person_id).execute(pool).await?;
        });
        Ok(())
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
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1");
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

    /// Sets (or clears) who is acting on a shared tablet, and until when.
    pub async fn set_acting_person(
        &self,
        session_id: i64,
        acting: Option<(i64, DateTime<Utc>)>,
    ) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            sqlx::query("UPDATE sessions SET acting_person_id = $2, acting_until = $3 WHERE id = $1")
                .bind(session_id)
                .bind(acting.map(|(id, _)| id))
                .bind(acting.map(|(_, until)| until))
                .execute(pool)
                .await?;
        });
        Ok(())
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

    pub async fn set_pin_hash(
        &self,
        organisation_id: i64,
        person_id: i64,
        pin_hash: &str,
    ) -> Result<(), StoreError> {
        let updated = dispatch!(self, pool => {
            sqlx::query("UPDATE people SET pin_hash = $3 WHERE id = $1 AND organisation_id = $2")
                .bind(person_id)
                .bind(organisation_id)
                .bind(pin_hash)
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
