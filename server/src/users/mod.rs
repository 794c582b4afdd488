//! The console's users in the database. The last-admin rule is part of the
//! UPDATE statement itself, so two admins demoting each other at the same
//! moment cannot both succeed and leave nobody able to manage users. Every
//! change of a password, a role or the enabled state moves the user's
//! session epoch on, which ends the sessions signed in before it. Every
//! account made and every change of role or enabled state is kept as a
//! grant (who asked, who approved), in the same transaction as the change
//! itself: four eyes reads them to tell whether an approver is independent
//! of the one who asked.

pub mod password;
pub mod tokens;

use crate::db::{Affected, Conn, Db, WritePool};
use crate::{on_conn, on_pool};
use domain::access::Caller;
use domain::access::Role;
use domain::ids::{Secret, UserName};
use domain::model::{UserKind, UserSummary};
use domain::policy::{Grant, GrantChange};
use sqlx::{ConnectOptions, FromRow, SqliteConnection};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("There is no user \"{0}\".")]
    NotFound(String),
    #[error("A user \"{0}\" already exists.")]
    Exists(String),
    #[error(
        "\"{0}\" is the last enabled admin; make another user admin first, so someone can still manage users."
    )]
    LastAdmin(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the user database failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

#[derive(Debug, Clone, FromRow)]
pub struct User {
    pub id: i64,
    pub name: String,
    role: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub demo: bool,
    pub created_at: String,
    pub last_sign_in: Option<String>,
    /// Sessions signed in under another epoch are over (see the migration).
    pub session_epoch: i64,
    /// `person` or `service` (the migration's CHECK keeps it so).
    kind: String,
    /// The identity provider's `sub`, for a user it made.
    pub subject: Option<String>,
}

/// What the password hash of a user with no password holds: no PHC
/// string, so no password ever verifies against it.
pub const NO_PASSWORD: &str = "!";

impl User {
    /// The role; the table's CHECK constraint keeps it one of three.
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Viewer)
    }

    /// Automation, acting through its token.
    pub fn service(&self) -> bool {
        self.kind == "service"
    }

    /// What a user is, as the Users page says it.
    pub fn kind(&self) -> UserKind {
        if self.service() {
            UserKind::Service
        } else if self.subject.is_some() {
            UserKind::Provider
        } else {
            UserKind::Local
        }
    }

    /// Signs in with a password this console keeps.
    pub fn has_password(&self) -> bool {
        self.kind() == UserKind::Local
    }

    /// The caller a request of this user's is made by.
    pub fn caller(&self) -> Caller {
        Caller {
            name: self.name.clone(),
            role: self.role(),
            demo: self.demo,
            service: self.service(),
            via_provider: self.subject.is_some(),
        }
    }

    pub fn summary(&self) -> UserSummary {
        UserSummary {
            kind: self.kind(),
            name: self.name.clone(),
            role: self.role(),
            disabled: self.disabled,
            must_change_password: self.must_change_password,
            demo: self.demo,
            created_at: self.created_at.clone(),
            last_sign_in: self.last_sign_in.clone(),
        }
    }
}

/// Who gave a user what a change gives them: who asked for it, and who
/// approved it when it was held for approval.
#[derive(Debug, Clone, Copy)]
pub struct Granted<'a> {
    pub by: &'a str,
    pub approved_by: Option<&'a str>,
}

impl<'a> Granted<'a> {
    /// A change made by `by` alone.
    pub fn by(by: &'a str) -> Self {
        Self {
            by,
            approved_by: None,
        }
    }
}

/// What a new user is made with. The password was checked against the
/// rules for new passwords by the executor.
pub struct NewUser<'a> {
    pub name: &'a UserName,
    pub role: Role,
    pub password: &'a Secret,
    /// The password was generated for them; they must set their own.
    pub one_time: bool,
    pub demo: bool,
    pub granted: Granted<'a>,
}

const COLUMNS: &str = "id, name, role, password_hash, must_change_password, disabled, demo, \
                       created_at, last_sign_in, session_epoch, kind, subject";

const GRANT_COLUMNS: &str = "g.change, g.role, g.by, g.approved_by, g.at";

#[derive(FromRow)]
struct GrantRow {
    change: String,
    role: String,
    by: String,
    approved_by: Option<String>,
    at: String,
}

impl GrantRow {
    /// The grant, unless the row is not one this console writes (the
    /// table's CHECK constraints keep them so).
    fn grant(self) -> Option<Grant> {
        Some(Grant {
            change: GrantChange::parse(&self.change)?,
            role: self.role.parse().ok()?,
            by: self.by,
            approved_by: self.approved_by,
            at: self.at,
        })
    }
}

#[derive(FromRow)]
struct GrantRowNamed {
    user_name: String,
    #[sqlx(flatten)]
    grant: GrantRow,
}

/// Keeps what `change` gave `user` (their role and state after it).
async fn grant(
    tx: Conn<'_>,
    user: &User,
    change: GrantChange,
    granted: Granted<'_>,
) -> Result<(), sqlx::Error> {
    on_conn!(tx, c => sqlx::query(
        "INSERT INTO user_grants (user_id, name, change, role, by, approved_by, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(user.id)
    .bind(&user.name)
    .bind(change.as_str())
    .bind(user.role().as_str())
    .bind(granted.by)
    .bind(granted.approved_by)
    .bind(crate::db::now())
    .execute(c)
    .await
    .affected())?;
    Ok(())
}

/// Enabled admins other than the row being changed; the last-admin rule.
const ANOTHER_ADMIN: &str =
    "EXISTS (SELECT 1 FROM users o WHERE o.role = 'admin' AND NOT o.disabled AND o.id != users.id)";

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub struct Users {
    db: Db,
    /// On SQLite, a connection of its own for `by_id`, the read every
    /// signed-in request makes: sqlx pings a pooled connection on its way
    /// back to the pool, a second round trip to the connection's thread
    /// for each read. Opened on first use, and again after a failure.
    own: tokio::sync::Mutex<Option<SqliteConnection>>,
}

impl Users {
    /// Over the console's database, whose migrations created the table.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            own: tokio::sync::Mutex::new(None),
        }
    }

    pub async fn create(&self, new: NewUser<'_>) -> Result<User, UserError> {
        let name = new.name.as_str();
        let hash = password::hash(new.password.expose())
            .await
            .map_err(UserError::Hash)?;
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let created = sqlx::query_as::<_, User>(&format!(
                "INSERT INTO users (name, role, password_hash, must_change_password, demo, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING {COLUMNS}"
            ))
            .bind(name)
            .bind(new.role.as_str())
            .bind(&hash)
            .bind(new.one_time)
            .bind(new.demo)
            .bind(now())
            .fetch_optional(&mut *tx)
            .await?;
            let user = created.ok_or_else(|| UserError::Exists(name.to_string()))?;
            grant(Conn::from(&mut *tx), &user, GrantChange::Created, new.granted).await?;
            tx.commit().await?;
            Ok(user)
        })
    }

    /// Makes service user `name` with `role` and its token, which expires
    /// in `days`: the token, shown this once, and when it expires.
    pub async fn create_service(
        &self,
        name: &UserName,
        role: Role,
        days: u32,
        granted: Granted<'_>,
    ) -> Result<(User, String, String), UserError> {
        let name = name.as_str();
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let created = sqlx::query_as::<_, User>(&format!(
                "INSERT INTO users (name, role, password_hash, kind, created_at) \
                 VALUES ($1, $2, $3, 'service', $4) ON CONFLICT (name) DO NOTHING RETURNING {COLUMNS}"
            ))
            .bind(name)
            .bind(role.as_str())
            .bind(NO_PASSWORD)
            .bind(now())
            .fetch_optional(&mut *tx)
            .await?;
            let user = created.ok_or_else(|| UserError::Exists(name.to_string()))?;
            grant(Conn::from(&mut *tx), &user, GrantChange::Created, granted).await?;
            let (token, expires) =
                Self::insert_token(Conn::from(&mut *tx), &user, days, granted.by).await?;
            tx.commit().await?;
            Ok((user, token, expires))
        })
    }

    /// The person the identity provider knows by `subject`.
    pub async fn by_subject(&self, subject: &str) -> Result<Option<User>, UserError> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE subject = $1");
        Ok(on_pool!(&self.db, p => sqlx::query_as(&sql).bind(subject).fetch_optional(p).await)?)
    }

    /// Makes the person the identity provider knows by `subject` (at their
    /// first sign-in) or sets their role as their groups now give it, in
    /// one transaction with its grant: the provider is the authority on
    /// roles, so neither the last-admin rule nor a role an admin chose
    /// here holds against it. `role` none disables them (their sessions
    /// end); a later sign-in with a role enables them again, unless it was
    /// an admin of this console, not the provider, who disabled them.
    pub async fn sync_from_provider(
        &self,
        subject: &str,
        name: &UserName,
        role: Option<Role>,
        granted: Granted<'_>,
    ) -> Result<String, UserError> {
        let find = format!("SELECT {COLUMNS} FROM users WHERE subject = $1");
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let known = sqlx::query_as::<_, User>(&find)
                .bind(subject)
                .fetch_optional(&mut *tx)
                .await?;
            let (said, changed) = match (known, role) {
                (None, None) => ("Made nobody: the groups give no role.".to_string(), None),
                (None, Some(role)) => {
                    // Names are the provider's to reuse, not ours: a name
                    // taken here is someone else, and the newcomer is told
                    // apart by a number.
                    let mut chosen = None;
                    for n in 1..100 {
                        let candidate = if n == 1 {
                            name.to_string()
                        } else {
                            format!("{}-{n}", name.as_str().chars().take(60).collect::<String>())
                        };
                        let taken: Option<i64> =
                            sqlx::query_scalar("SELECT id FROM users WHERE name = $1")
                                .bind(&candidate)
                                .fetch_optional(&mut *tx)
                                .await?;
                        if taken.is_none() {
                            chosen = Some(candidate);
                            break;
                        }
                    }
                    let chosen = chosen.ok_or_else(|| {
                        UserError::Invalid(format!("No free name like \"{name}\" is left."))
                    })?;
                    let made = sqlx::query_as::<_, User>(&format!(
                        "INSERT INTO users (name, role, password_hash, subject, created_at) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
                    ))
                    .bind(&chosen)
                    .bind(role.as_str())
                    .bind(NO_PASSWORD)
                    .bind(subject)
                    .bind(now())
                    .fetch_one(&mut *tx)
                    .await?;
                    (
                        format!("Made {} as {role} at their first sign-in.", made.name),
                        Some((made, GrantChange::Created)),
                    )
                }
                (Some(u), None) if u.disabled => {
                    (format!("{} stays disabled: the groups give no role.", u.name), None)
                }
                (Some(u), None) => {
                    let off = sqlx::query_as::<_, User>(&format!(
                        "UPDATE users SET disabled = TRUE, session_epoch = session_epoch + 1 \
                         WHERE id = $1 RETURNING {COLUMNS}"
                    ))
                    .bind(u.id)
                    .fetch_one(&mut *tx)
                    .await?;
                    (
                        format!(
                            "Disabled {}: the groups give no role now; their sessions end.",
                            u.name
                        ),
                        Some((off, GrantChange::Disabled)),
                    )
                }
                (Some(u), Some(role)) => {
                    let mut u = u;
                    let mut said = Vec::new();
                    let mut change = None;
                    if u.disabled {
                        let by: Option<String> = sqlx::query_scalar(
                            "SELECT by FROM user_grants WHERE user_id = $1 AND change = 'disabled' \
                             ORDER BY id DESC LIMIT 1",
                        )
                        .bind(u.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if by.as_deref() != Some(granted.by) {
                            return Err(UserError::Invalid(format!(
                                "{} was disabled in this console by {}; an admin of this console \
                                 can enable them.",
                                u.name,
                                by.as_deref().filter(|b| !b.is_empty()).unwrap_or("an admin")
                            )));
                        }
                        u = sqlx::query_as::<_, User>(&format!(
                            "UPDATE users SET disabled = FALSE WHERE id = $1 RETURNING {COLUMNS}"
                        ))
                        .bind(u.id)
                        .fetch_one(&mut *tx)
                        .await?;
                        grant(Conn::from(&mut *tx), &u, GrantChange::Enabled, granted).await?;
                        said.push(format!("Enabled {} again", u.name));
                    }
                    if u.role() != role {
                        let was = u.role();
                        u = sqlx::query_as::<_, User>(&format!(
                            "UPDATE users SET role = $1, session_epoch = session_epoch + 1 \
                             WHERE id = $2 RETURNING {COLUMNS}"
                        ))
                        .bind(role.as_str())
                        .bind(u.id)
                        .fetch_one(&mut *tx)
                        .await?;
                        said.push(format!(
                            "{} is now {role} (was {was}); their other sessions end",
                            u.name
                        ));
                        change = Some((u.clone(), GrantChange::Role));
                    }
                    if said.is_empty() {
                        said.push(format!("{} is {role}, as before", u.name));
                    }
                    (format!("{}.", said.join("; ")), change)
                }
            };
            if let Some((user, change)) = changed {
                grant(Conn::from(&mut *tx), &user, change, granted).await?;
            }
            tx.commit().await?;
            Ok(said)
        })
    }

    /// Every grant of the user with this id, oldest first.
    pub async fn grants_of(&self, id: i64) -> Result<Vec<Grant>, UserError> {
        let sql =
            format!("SELECT {GRANT_COLUMNS} FROM user_grants g WHERE g.user_id = $1 ORDER BY g.id");
        let rows: Vec<GrantRow> =
            on_pool!(&self.db, p => sqlx::query_as(&sql).bind(id).fetch_all(p).await)?;
        Ok(rows.into_iter().filter_map(GrantRow::grant).collect())
    }

    /// Every grant of every user there is, by name, oldest first.
    pub async fn all_grants(
        &self,
    ) -> Result<std::collections::HashMap<String, Vec<Grant>>, UserError> {
        let sql = format!(
            "SELECT u.name AS user_name, {GRANT_COLUMNS} FROM user_grants g \
             JOIN users u ON u.id = g.user_id ORDER BY g.id"
        );
        let rows: Vec<GrantRowNamed> =
            on_pool!(&self.db, p => sqlx::query_as(&sql).fetch_all(p).await)?;
        let mut by_name: std::collections::HashMap<String, Vec<Grant>> = Default::default();
        for r in rows {
            if let Some(g) = r.grant.grant() {
                by_name.entry(r.user_name).or_default().push(g);
            }
        }
        Ok(by_name)
    }

    pub async fn by_name(&self, name: &str) -> Result<Option<User>, UserError> {
        let name = name.trim().to_ascii_lowercase();
        let sql = format!("SELECT {COLUMNS} FROM users WHERE name = $1");
        Ok(on_pool!(&self.db, p => sqlx::query_as(&sql).bind(&name).fetch_optional(p).await)?)
    }

    /// Read afresh each time (other processes and consoles change users):
    /// on SQLite on the connection of its own.
    pub async fn by_id(&self, id: i64) -> Result<Option<User>, UserError> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
        let pool = match &self.db {
            Db::Sqlite(pool) => pool,
            Db::Postgres(p) => {
                return Ok(sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
            }
        };
        let mut own = self.own.lock().await;
        let conn = match own.as_mut() {
            Some(conn) => conn,
            None => own.insert(pool.connect_options().connect().await?),
        };
        let read = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await;
        if read.is_err() {
            *own = None;
        }
        Ok(read?)
    }

    pub async fn list(&self) -> Result<Vec<User>, UserError> {
        let sql = format!("SELECT {COLUMNS} FROM users ORDER BY name");
        Ok(on_pool!(&self.db, p => sqlx::query_as(&sql).fetch_all(p).await)?)
    }

    /// Users other than the demo's.
    pub async fn count_real(&self) -> Result<i64, UserError> {
        Ok(
            on_pool!(&self.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE NOT demo")
            .fetch_one(p)
            .await)?,
        )
    }

    async fn existing(&self, name: &UserName) -> Result<User, UserError> {
        self.by_name(name.as_str())
            .await?
            .ok_or_else(|| UserError::NotFound(name.to_string()))
    }

    /// Changes a role, refusing to demote the last enabled admin.
    pub async fn set_role(
        &self,
        name: &UserName,
        role: Role,
        granted: Granted<'_>,
    ) -> Result<User, UserError> {
        let user = self.existing(name).await?;
        let sql = format!(
            "UPDATE users SET role = $1, \
             session_epoch = session_epoch + CASE WHEN role != $1 THEN 1 ELSE 0 END WHERE id = $2 \
             AND (role != 'admin' OR $1 = 'admin' OR disabled OR {ANOTHER_ADMIN}) \
             RETURNING {COLUMNS}"
        );
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let was: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
                .bind(user.id)
                .fetch_optional(&mut *tx)
                .await?;
            let changed = sqlx::query_as::<_, User>(&sql)
                .bind(role.as_str())
                .bind(user.id)
                .fetch_optional(&mut *tx)
                .await?;
            let changed = changed.ok_or(UserError::LastAdmin(user.name))?;
            if was.as_deref() != Some(role.as_str()) {
                grant(Conn::from(&mut *tx), &changed, GrantChange::Role, granted).await?;
            }
            tx.commit().await?;
            Ok(changed)
        })
    }

    /// Disables or re-enables a user, refusing to disable the last enabled admin.
    pub async fn set_disabled(
        &self,
        name: &UserName,
        disabled: bool,
        granted: Granted<'_>,
    ) -> Result<User, UserError> {
        let user = self.existing(name).await?;
        let sql = format!(
            "UPDATE users SET disabled = $1, \
             session_epoch = session_epoch + CASE WHEN disabled != $1 THEN 1 ELSE 0 END \
             WHERE id = $2 \
             AND (NOT $1 OR role != 'admin' OR disabled OR {ANOTHER_ADMIN}) \
             RETURNING {COLUMNS}"
        );
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let was: Option<bool> = sqlx::query_scalar("SELECT disabled FROM users WHERE id = $1")
                .bind(user.id)
                .fetch_optional(&mut *tx)
                .await?;
            let changed = sqlx::query_as::<_, User>(&sql)
                .bind(disabled)
                .bind(user.id)
                .fetch_optional(&mut *tx)
                .await?;
            let changed = changed.ok_or(UserError::LastAdmin(user.name))?;
            if was != Some(disabled) {
                let change = if disabled {
                    GrantChange::Disabled
                } else {
                    GrantChange::Enabled
                };
                grant(Conn::from(&mut *tx), &changed, change, granted).await?;
            }
            tx.commit().await?;
            Ok(changed)
        })
    }

    /// Sets a password; `one_time` when someone else chose it.
    pub async fn set_password(
        &self,
        name: &UserName,
        password: &Secret,
        one_time: bool,
    ) -> Result<User, UserError> {
        let user = self.existing(name).await?;
        let hash = password::hash(password.expose())
            .await
            .map_err(UserError::Hash)?;
        let sql = format!(
            "UPDATE users SET password_hash = $1, must_change_password = $2, \
             session_epoch = session_epoch + 1 WHERE id = $3 \
             RETURNING {COLUMNS}"
        );
        Ok(on_pool!(&self.db, p => sqlx::query_as(&sql)
            .bind(&hash)
            .bind(one_time)
            .bind(user.id)
            .fetch_one(p)
            .await)?)
    }

    pub async fn record_sign_in(&self, id: i64) -> Result<(), UserError> {
        on_pool!(&self.db, p => sqlx::query("UPDATE users SET last_sign_in = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(p)
            .await
            .affected())?;
        Ok(())
    }

    /// The demo's users.
    pub async fn count_demo(&self) -> Result<i64, UserError> {
        Ok(
            on_pool!(&self.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE demo")
            .fetch_one(p)
            .await)?,
        )
    }

    /// Removes the demo's users; returns how many there were.
    pub async fn delete_demo(&self) -> Result<u64, UserError> {
        Ok(
            on_pool!(&self.db, p => sqlx::query("DELETE FROM users WHERE demo")
            .execute(p)
            .await
            .affected())?,
        )
    }
}
