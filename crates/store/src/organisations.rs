//! Organisations and their structure: locations, teams, people, role grants, taxonomy and
//! budget policies. The command line bootstrap, the demo seed and (later) the admin screens
//! all write through these functions.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{columns::ZoneName, dispatch, Store, StoreError};
use chrono_tz::Tz;
use domain::{
    access,
    money::Currency,
    org::{default_taxonomy, Industry, Role, RoleGrant, TaxonomyKind},
    policy::{Boost, BudgetPolicy, PolicyScope},
    recovery::Taxonomy,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub industry: String,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    #[sqlx(try_from = "ZoneName")]
    pub time_zone: Tz,
    /// The largest single amount accepted, in major units (see `domain::money`).
    pub max_amount_major: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Location {
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    #[sqlx(try_from = "ZoneName")]
    pub time_zone: Tz,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Team {
    pub id: i64,
    pub organisation_id: i64,
    pub location_id: i64,
    pub name: String,
    pub default_touchpoint: Option<String>,
}

/// A person as the rest of the app sees them. Credential hashes are deliberately absent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    pub organisation_id: i64,
    pub location_id: i64,
    pub team_id: Option<i64>,
    pub display_name: String,
    pub username: String,
    pub active: bool,
}

pub struct NewOrganisation<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub industry: Industry,
    pub currency: Currency,
    pub time_zone: chrono_tz::Tz,
}

pub struct NewPerson<'a> {
    pub organisation_id: i64,
    pub location_id: i64,
    pub team_id: Option<i64>,
    pub display_name: &'a str,
    pub username: &'a str,
    pub email: Option<&'a str>,
    /// An argon2id PHC string, never a plain password.
    pub password_hash: Option<&'a str>,
    pub pin_hash: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct TaxonomyRow {
    pub kind: String,
    pub code: String,
    pub label: String,
    pub position: i64,
}

/// What a recovery form is checked against: the active category and touchpoint codes among
/// `rows` (from [`Store::taxonomy`]) and the organisation's largest amount.
pub fn form_taxonomy(rows: &[TaxonomyRow], max_amount_major: i64) -> Taxonomy {
    let codes = |kind: TaxonomyKind| {
        rows.iter()
            .filter(|r| r.kind == kind.as_str())
            .map(|r| r.code.clone())
            .collect()
    };
    Taxonomy {
        categories: codes(TaxonomyKind::Category),
        touchpoints: codes(TaxonomyKind::Touchpoint),
        max_amount_major,
    }
}

fn scope_columns(
    scope: &PolicyScope,
) -> (
    &'static str,
    Option<&'static str>,
    Option<i64>,
    Option<i64>,
    String,
) {
    match scope {
        PolicyScope::Organisation => ("organisation", None, None, None, "organisation".to_string()),
        PolicyScope::Role(role) => (
            "role",
            Some(role.as_str()),
            None,
            None,
            format!("role:{}", role.as_str()),
        ),
        PolicyScope::Team(id) => ("team", None, Some(*id), None, format!("team:{id}")),
        PolicyScope::Person(id) => ("person", None, None, Some(*id), format!("person:{id}")),
    }
}

impl Store {
    /// Creates an organisation with the default taxonomy of its industry, in one transaction.
    pub async fn create_organisation(
        &self,
        new: &NewOrganisation<'_>,
        now: DateTime<Utc>,
    ) -> Result<Organisation, StoreError> {
        let taxonomy = default_taxonomy(new.industry);
        dispatch!(self, pool => {
            let mut tx = pool.begin().await?;
            let org: Organisation = sqlx::query_as(
                "INSERT INTO organisations (name, slug, industry, currency, time_zone, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 RETURNING id, name, slug, industry, currency, time_zone, max_amount_major",
            )
            .bind(new.name.trim())
            .bind(new.slug)
            .bind(new.industry.as_str())
            .bind(new.currency.code())
            .bind(new.time_zone.name())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::duplicate_or(e, || format!("an organisation with the short name {} already exists", new.slug)))?;
            for (position, entry) in taxonomy.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO taxonomy_entries (organisation_id, kind, code, label, position, active)
                     VALUES ($1, $2, $3, $4, $5, TRUE)",
                )
                .bind(org.id)
                .bind(entry.kind.as_str())
                .bind(&entry.code)
                .bind(&entry.label)
                .bind(position as i64)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(org)
        })
    }

    pub async fn organisation(&self, id: i64) -> Result<Organisation, StoreError> {
        dispatch!(self, pool => {
            sqlx::query_as("SELECT id, name, slug, industry, currency, time_zone, max_amount_major FROM organisations WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound("organisation"))
        })
    }

    pub async fn organisation_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<Organisation>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as("SELECT id, name, slug, industry, currency, time_zone, max_amount_major FROM organisations WHERE slug = $1")
                .bind(slug)
                .fetch_optional(pool)
                .await?
        }))
    }

    pub async fn create_location(
        &self,
        organisation_id: i64,
        name: &str,
        time_zone: chrono_tz::Tz,
        currency: Currency,
        now: DateTime<Utc>,
    ) -> Result<Location, StoreError> {
        dispatch!(self, pool => {
            sqlx::query_as(
                "INSERT INTO locations (organisation_id, name, time_zone, currency, created_at)
                 VALUES ($1, $2, $3, $4, $5)
                 RETURNING id, organisation_id, name, time_zone, currency",
            )
            .bind(organisation_id)
            .bind(name.trim())
            .bind(time_zone.name())
            .bind(currency.code())
            .bind(now)
            .fetch_one(pool)
            .await
            .map_err(|e| StoreError::duplicate_or(e, || format!("a location named {name} already exists")))
        })
    }

    pub async fn locations(&self, organisation_id: i64) -> Result<Vec<Location>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT id, organisation_id, name, time_zone, currency FROM locations
                 WHERE organisation_id = $1 ORDER BY name",
            )
            .bind(organisation_id)
            .fetch_all(pool)
            .await?
        }))
    }

    pub async fn create_team(
        &self,
        organisation_id: i64,
        location_id: i64,
        name: &str,
        default_touchpoint: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Team, StoreError> {
        dispatch!(self, pool => {
            sqlx::query_as(
                "INSERT INTO teams (organisation_id, location_id, name, default_touchpoint, created_at)
                 SELECT $1, id, $3, $4, $5 FROM locations WHERE id = $2 AND organisation_id = $1
                 RETURNING id, organisation_id, location_id, name, default_touchpoint",
            )
            .bind(organisation_id)
            .bind(location_id)
            .bind(name.trim())
            .bind(default_touchpoint)
            .bind(now)
            .fetch_optional(pool)
            .await
            .map_err(|e| StoreError::duplicate_or(e, || format!("a team named {name} already exists here")))?
            .ok_or(StoreError::NotFound("location"))
        })
    }

    pub async fn teams(&self, organisation_id: i64) -> Result<Vec<Team>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT id, organisation_id, location_id, name, default_touchpoint FROM teams
                 WHERE organisation_id = $1 ORDER BY location_id, name",
            )
            .bind(organisation_id)
            .fetch_all(pool)
            .await?
        }))
    }

    pub async fn create_person(
        &self,
        new: &NewPerson<'_>,
        now: DateTime<Utc>,
    ) -> Result<Person, StoreError> {
        dispatch!(self, pool => {
            // The location must belong to the organisation and the team to that location:
            // checked in the INSERT … SELECT so a foreign id yields "not found", never a
            // cross-organisation row nor a team whose members spend in two currencies.
            sqlx::query_as(
                "INSERT INTO people (organisation_id, location_id, team_id, display_name, username, email,
                                     password_hash, pin_hash, active, created_at)
                 SELECT $1, l.id, $3, $4, $5, $6, $7, $8, TRUE, $9 FROM locations l
                 WHERE l.id = $2 AND l.organisation_id = $1
                   AND ($3 IS NULL OR EXISTS (SELECT 1 FROM teams t
                                              WHERE t.id = $3 AND t.organisation_id = $1 AND t.location_id = l.id))
                 RETURNING id, organisation_id, location_id, team_id, display_name, username, active",
            )
            .bind(new.organisation_id)
            .bind(new.location_id)
            .bind(new.team_id)
            .bind(new.display_name.trim())
            .bind(new.username.trim().to_lowercase())
            .bind(new.email)
            .bind(new.password_hash)
            .bind(new.pin_hash)
            .bind(now)
            .fetch_optional(pool)
            .await
            .map_err(|e| StoreError::duplicate_or(e, || format!("the username {} is taken", new.username)))?
            .ok_or(StoreError::NotFound("location or team"))
        })
    }

    pub async fn person(&self, organisation_id: i64, person_id: i64) -> Result<Person, StoreError> {
        dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT id, organisation_id, location_id, team_id, display_name, username, active
                 FROM people WHERE id = $1 AND organisation_id = $2",
            )
            .bind(person_id)
            .bind(organisation_id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound("person"))
        })
    }

    pub async fn people(&self, organisation_id: i64) -> Result<Vec<Person>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT id, organisation_id, location_id, team_id, display_name, username, active
                 FROM people WHERE organisation_id = $1 ORDER BY display_name",
            )
            .bind(organisation_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Grants a role, organisation-wide (`location_id` None) or for one location. Granting
    /// a role the person already holds in that scope is a no-op.
    pub async fn grant_role(
        &self,
        organisation_id: i64,
        person_id: i64,
        role: Role,
        location_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let scope_key = location_id.map_or_else(|| "org".to_string(), |id| id.to_string());
        let inserted = dispatch!(self, pool => {
            sqlx::query(
                "INSERT INTO role_grants (organisation_id, person_id, role, location_id, scope_key, created_at)
                 SELECT $1, p.id, $3, $4, $5, $6 FROM people p
                 WHERE p.id = $2 AND p.organisation_id = $1
                   AND ($4 IS NULL OR EXISTS (SELECT 1 FROM locations l WHERE l.id = $4 AND l.organisation_id = $1))
                 ON CONFLICT (person_id, role, scope_key) DO NOTHING",
            )
            .bind(organisation_id)
            .bind(person_id)
            .bind(role.as_str())
            .bind(location_id)
            .bind(&scope_key)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if inserted == 0 {
            // Either it already existed (fine) or the person/location is not in this organisation.
            self.person(organisation_id, person_id).await?;
        }
        Ok(())
    }

    pub async fn roles_of(
        &self,
        organisation_id: i64,
        person_id: i64,
    ) -> Result<Vec<(Role, Option<i64>)>, StoreError> {
        let rows: Vec<(String, Option<i64>)> = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT role, location_id FROM role_grants WHERE organisation_id = $1 AND person_id = $2 ORDER BY role",
            )
            .bind(organisation_id)
            .bind(person_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(role, location)| {
                Role::parse(&role)
                    .map(|r| (r, location))
                    .map_err(|e| StoreError::Invalid(e.to_string()))
            })
            .collect()
    }

    /// Every role grant in the organisation: (person, role, location or None for everywhere).
    pub async fn role_grants(
        &self,
        organisation_id: i64,
    ) -> Result<Vec<(i64, Role, Option<i64>)>, StoreError> {
        let rows: Vec<(i64, String, Option<i64>)> = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT person_id, role, location_id FROM role_grants WHERE organisation_id = $1 ORDER BY person_id, role",
            )
            .bind(organisation_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(person, role, location)| {
                Role::parse(&role)
                    .map(|r| (person, r, location))
                    .map_err(|e| StoreError::Invalid(e.to_string()))
            })
            .collect()
    }

    pub async fn taxonomy(&self, organisation_id: i64) -> Result<Vec<TaxonomyRow>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT kind, code, label, position FROM taxonomy_entries
                 WHERE organisation_id = $1 AND active = TRUE ORDER BY kind, position",
            )
            .bind(organisation_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The active codes of one taxonomy list.
    pub async fn taxonomy_codes(
        &self,
        organisation_id: i64,
        kind: TaxonomyKind,
    ) -> Result<Vec<String>, StoreError> {
        Ok(self
            .taxonomy(organisation_id)
            .await?
            .into_iter()
            .filter(|row| row.kind == kind.as_str())
            .map(|row| row.code)
            .collect())
    }

    /// Changes an organisation's name, default currency and default time zone.
    pub async fn update_organisation(
        &self,
        organisation_id: i64,
        name: &str,
        currency: Currency,
        time_zone: chrono_tz::Tz,
    ) -> Result<Organisation, StoreError> {
        dispatch!(self, pool => {
            sqlx::query_as(
                "UPDATE organisations SET name = $2, currency = $3, time_zone = $4 WHERE id = $1
                 RETURNING id, name, slug, industry, currency, time_zone, max_amount_major",
            )
            .bind(organisation_id)
            .bind(name.trim())
            .bind(currency.code())
            .bind(time_zone.name())
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound("organisation"))
        })
    }

    /// Adds an entry to one of the organisation's lists (its code is made from the label).
    pub async fn add_taxonomy_entry(
        &self,
        organisation_id: i64,
        kind: TaxonomyKind,
        label: &str,
    ) -> Result<TaxonomyRow, StoreError> {
        let code = domain::org::slugify(label);
        if code.is_empty() {
            return Err(StoreError::Invalid(
                "give the entry a name with letters or digits".into(),
            ));
        }
        dispatch!(self, pool => {
            sqlx::query_as(
                "INSERT INTO taxonomy_entries (organisation_id, kind, code, label, position, active)
                 SELECT $1, $2, $3, $4, COALESCE(MAX(position), -1) + 1, TRUE
                 FROM taxonomy_entries WHERE organisation_id = $1 AND kind = $2
                 RETURNING kind, code, label, position",
            )
            .bind(organisation_id)
            .bind(kind.as_str())
            .bind(&code)
            .bind(label.trim())
            .fetch_one(pool)
            .await
            .map_err(|e| StoreError::duplicate_or(e, || format!("{label} is already in the list")))
        })
    }

    /// Retires (or brings back) a list entry. Entries are never deleted: old recoveries
    /// still name them.
    pub async fn set_taxonomy_entry_active(
        &self,
        organisation_id: i64,
        kind: TaxonomyKind,
        code: &str,
        active: bool,
    ) -> Result<(), StoreError> {
        let updated = dispatch!(self, pool => {
            sqlx::query("UPDATE taxonomy_entries SET active = $4 WHERE organisation_id = $1 AND kind = $2 AND code = $3")
                .bind(organisation_id)
                .bind(kind.as_str())
                .bind(code)
                .bind(active)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::NotFound("list entry"));
        }
        Ok(())
    }

    /// Every list entry, retired ones included (for the admin screen).
    pub async fn taxonomy_all(
        &self,
        organisation_id: i64,
    ) -> Result<Vec<(TaxonomyRow, bool)>, StoreError> {
        let rows: Vec<(String, String, String, i64, bool)> = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT kind, code, label, position, active FROM taxonomy_entries
                 WHERE organisation_id = $1 ORDER BY kind, position",
            )
            .bind(organisation_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(kind, code, label, position, active)| {
                (
                    TaxonomyRow {
                        kind,
                        code,
                        label,
                        position,
                    },
                    active,
                )
            })
            .collect())
    }

    /// Takes a role away (organisation-wide when `location_id` is None, else at that location).
    pub async fn revoke_role(
        &self,
        organisation_id: i64,
        person_id: i64,
        role: Role,
        location_id: Option<i64>,
    ) -> Result<(), StoreError> {
        let scope_key = location_id.map_or_else(|| "org".to_string(), |id| id.to_string());
        let deleted = dispatch!(self, pool => {
            sqlx::query(
                "DELETE FROM role_grants WHERE organisation_id = $1 AND person_id = $2 AND role = $3 AND scope_key = $4",
            )
            .bind(organisation_id)
            .bind(person_id)
            .bind(role.as_str())
            .bind(&scope_key)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if deleted == 0 {
            return Err(StoreError::NotFound("role grant"));
        }
        Ok(())
    }

    /// The grants of a person as the access rules read them.
    pub async fn grants_of(
        &self,
        organisation_id: i64,
        person_id: i64,
    ) -> Result<Vec<RoleGrant>, StoreError> {
        Ok(self
            .roles_of(organisation_id, person_id)
            .await?
            .into_iter()
            .map(|(role, location_id)| RoleGrant { role, location_id })
            .collect())
    }

    /// Refuses a budget change by `actor_id` that the separation-of-duties rule forbids
    /// (see `domain::access::may_change_budget`): never one's own person, team or role, and
    /// only from a rank above everyone it applies to.
    pub async fn check_budget_change(
        &self,
        organisation_id: i64,
        actor_id: i64,
        scope: &PolicyScope,
    ) -> Result<(), StoreError> {
        let actor = self.person(organisation_id, actor_id).await?;
        let grants = self.grants_of(organisation_id, actor_id).await?;
        let (location_id, highest_role) = match *scope {
            PolicyScope::Organisation | PolicyScope::Role(_) => (None, None),
            PolicyScope::Person(id) => {
                let person = self.person(organisation_id, id).await?;
                let theirs = self.grants_of(organisation_id, id).await?;
                (
                    Some(person.location_id),
                    theirs.iter().map(|g| g.role).max(),
                )
            }
            PolicyScope::Team(id) => {
                let rows: Vec<(i64, Option<String>)> = dispatch!(self, pool => {
                    sqlx::query_as(
                        "SELECT t.location_id, r.role FROM teams t
                         LEFT JOIN people p ON p.team_id = t.id AND p.organisation_id = t.organisation_id
                         LEFT JOIN role_grants r ON r.person_id = p.id AND r.organisation_id = t.organisation_id
                         WHERE t.id = $1 AND t.organisation_id = $2",
                    )
                    .bind(id)
                    .bind(organisation_id)
                    .fetch_all(pool)
                    .await?
                });
                let Some((location_id, _)) = rows.first() else {
                    return Err(StoreError::NotFound("team"));
                };
                let highest = rows
                    .iter()
                    .filter_map(|(_, role)| role.as_deref())
                    .filter_map(|role| Role::parse(role).ok())
                    .max();
                (Some(*location_id), highest)
            }
        };
        access::may_change_budget(
            &access::BudgetActor {
                person_id: actor.id,
                team_id: actor.team_id,
                grants: access::Grants(&grants),
            },
            &access::BudgetTarget {
                scope: *scope,
                location_id,
                highest_role,
            },
        )?;
        Ok(())
    }

    /// Sets a budget policy on behalf of a person: the access rule first, then the write.
    /// (`set_policy` itself is for the system: provisioning, the demo seed.)
    pub async fn set_policy_as(
        &self,
        organisation_id: i64,
        actor_id: i64,
        policy: &BudgetPolicy,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check_budget_change(organisation_id, actor_id, &policy.scope)
            .await?;
        let policy = BudgetPolicy {
            set_by: Some(actor_id),
            ..*policy
        };
        self.set_policy(organisation_id, &policy, now).await
    }

    /// Adds a boost on behalf of a person: the access rule first, then the write.
    pub async fn add_boost_as(
        &self,
        organisation_id: i64,
        actor_id: i64,
        boost: &Boost,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check_budget_change(organisation_id, actor_id, &boost.scope)
            .await?;
        let boost = Boost {
            set_by: Some(actor_id),
            ..*boost
        };
        self.add_boost(organisation_id, &boost, reason, now).await
    }

    /// Sets (creates or replaces) the budget policy of one scope.
    pub async fn set_policy(
        &self,
        organisation_id: i64,
        policy: &BudgetPolicy,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (kind, role, team_id, person_id, scope_key) = scope_columns(&policy.scope);
        dispatch!(self, pool => {
            sqlx::query(
                "INSERT INTO budget_policies (organisation_id, scope_kind, role, team_id, person_id, scope_key,
                                              daily_allowance_minor, per_recovery_cap_minor, updated_at, set_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (organisation_id, scope_key) DO UPDATE
                 SET daily_allowance_minor = excluded.daily_allowance_minor,
                     per_recovery_cap_minor = excluded.per_recovery_cap_minor,
                     updated_at = excluded.updated_at,
                     set_by = excluded.set_by",
            )
            .bind(organisation_id)
            .bind(kind)
            .bind(role)
            .bind(team_id)
            .bind(person_id)
            .bind(&scope_key)
            .bind(policy.daily_allowance)
            .bind(policy.per_recovery_cap)
            .bind(now)
            .bind(policy.set_by)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn policies(&self, organisation_id: i64) -> Result<Vec<BudgetPolicy>, StoreError> {
        let rows: Vec<PolicyRow> = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT scope_kind, role, team_id, person_id, daily_allowance_minor, per_recovery_cap_minor, set_by
                 FROM budget_policies WHERE organisation_id = $1",
            )
            .bind(organisation_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|row| {
                let scope = scope_from_columns(
                    &row.scope_kind,
                    row.role.as_deref(),
                    row.team_id,
                    row.person_id,
                )?;
                Ok(BudgetPolicy {
                    scope,
                    daily_allowance: row.daily_allowance_minor,
                    per_recovery_cap: row.per_recovery_cap_minor,
                    set_by: row.set_by,
                })
            })
            .collect()
    }

    pub async fn add_boost(
        &self,
        organisation_id: i64,
        boost: &Boost,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (kind, role, team_id, person_id, _) = scope_columns(&boost.scope);
        if role.is_some() {
            return Err(StoreError::Invalid(
                "a boost applies to a person, a team or the organisation".into(),
            ));
        }
        dispatch!(self, pool => {
            sqlx::query(
                "INSERT INTO budget_boosts (organisation_id, scope_kind, team_id, person_id, starts_on, ends_on,
                                            extra_per_day_minor, reason, created_at, set_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(organisation_id)
            .bind(kind)
            .bind(team_id)
            .bind(person_id)
            .bind(boost.from)
            .bind(boost.to)
            .bind(boost.extra_per_day)
            .bind(reason)
            .bind(now)
            .bind(boost.set_by)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Every policy, and the boosts covering `date`, in one statement: what resolving one
    /// person's allowance on one day needs.
    pub async fn allowance_rules(
        &self,
        organisation_id: i64,
        date: NaiveDate,
    ) -> Result<(Vec<BudgetPolicy>, Vec<Boost>), StoreError> {
        type RuleRow = (
            String,
            String,
            Option<String>,
            Option<i64>,
            Option<i64>,
            i64,
            Option<i64>,
            Option<NaiveDate>,
            Option<NaiveDate>,
            Option<i64>,
        );
        let rows: Vec<RuleRow> = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT 'policy', scope_kind, role, team_id, person_id, daily_allowance_minor,
                        per_recovery_cap_minor, NULL, NULL, set_by
                 FROM budget_policies WHERE organisation_id = $1
                 UNION ALL
                 SELECT 'boost', scope_kind, NULL, team_id, person_id, extra_per_day_minor,
                        NULL, starts_on, ends_on, set_by
                 FROM budget_boosts WHERE organisation_id = $1 AND starts_on <= $2 AND ends_on >= $2",
            )
            .bind(organisation_id)
            .bind(date)
            .fetch_all(pool)
            .await?
        });
        let (mut policies, mut boosts) = (Vec::new(), Vec::new());
        for (what, kind, role, team_id, person_id, amount, cap, from, to, set_by) in rows {
            let scope = scope_from_columns(&kind, role.as_deref(), team_id, person_id)?;
            match (what.as_str(), from, to) {
                ("boost", Some(from), Some(to)) => boosts.push(Boost {
                    scope,
                    from,
                    to,
                    extra_per_day: amount,
                    set_by,
                }),
                _ => policies.push(BudgetPolicy {
                    scope,
                    daily_allowance: amount,
                    per_recovery_cap: cap,
                    set_by,
                }),
            }
        }
        Ok((policies, boosts))
    }

    /// Boosts that are still running on or after `from`.
    pub async fn boosts(
        &self,
        organisation_id: i64,
        from: NaiveDate,
    ) -> Result<Vec<Boost>, StoreError> {
        let rows: Vec<BoostRow> = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT scope_kind, team_id, person_id, starts_on, ends_on, extra_per_day_minor, set_by
                 FROM budget_boosts WHERE organisation_id = $1 AND ends_on >= $2",
            )
            .bind(organisation_id)
            .bind(from)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|row| {
                Ok(Boost {
                    scope: scope_from_columns(&row.scope_kind, None, row.team_id, row.person_id)?,
                    from: row.starts_on,
                    to: row.ends_on,
                    extra_per_day: row.extra_per_day_minor,
                    set_by: row.set_by,
                })
            })
            .collect()
    }
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    scope_kind: String,
    role: Option<String>,
    team_id: Option<i64>,
    person_id: Option<i64>,
    daily_allowance_minor: i64,
    per_recovery_cap_minor: Option<i64>,
    set_by: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct BoostRow {
    scope_kind: String,
    team_id: Option<i64>,
    person_id: Option<i64>,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    extra_per_day_minor: i64,
    set_by: Option<i64>,
}

fn scope_from_columns(
    kind: &str,
    role: Option<&str>,
    team_id: Option<i64>,
    person_id: Option<i64>,
) -> Result<PolicyScope, StoreError> {
    let corrupt = || StoreError::Invalid(format!("stored budget scope {kind} is incomplete"));
    Ok(match kind {
        "organisation" => PolicyScope::Organisation,
        "role" => PolicyScope::Role(
            Role::parse(role.ok_or_else(corrupt)?)
                .map_err(|e| StoreError::Invalid(e.to_string()))?,
        ),
        "team" => PolicyScope::Team(team_id.ok_or_else(corrupt)?),
        "person" => PolicyScope::Person(person_id.ok_or_else(corrupt)?),
        _ => return Err(corrupt()),
    })
}
