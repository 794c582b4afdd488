//! The audit history in SQLite. Every action is two rows: an intent,
//! committed before the provider is called (if it cannot be written the
//! action is refused), and an outcome once the provider has answered. The
//! rows form a hash chain (see `chain`), verified when the history is read.

pub mod chain;

use app::model::{AuditEntry, ChainStatus};
use chain::{GENESIS, Row};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Row as _, SqlitePool};
use std::path::Path;
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the audit database failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the audit database could not be migrated: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the database file could not be made private: {0}")]
    Permissions(#[from] std::io::Error),
}

/// Makes the database file, and its journal files if they exist, readable
/// and writable by its owner only (0600): the sessions table holds live
/// session ids that anyone who reads the file could replay. SQLite creates
/// the `-wal` and `-shm` files with the database file's own permissions, so
/// creating that one 0600 covers the journal files made later.
fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

/// What is about to be done, by whom.
#[derive(Debug, Clone)]
pub struct Intent<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub space: &'a str,
    pub target: &'a str,
    /// What else the action is about (accounts, an endpoint), if anything.
    pub detail: Option<&'a str>,
}

impl<'a> Intent<'a> {
    /// An intent about no space: a sign-in, a user change.
    pub fn local(
        actor: &'a str,
        action: &'a str,
        target: &'a str,
        detail: Option<&'a str>,
    ) -> Self {
        Self {
            actor,
            action,
            space: "",
            target,
            detail,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    Ok,
    Error,
    /// The provider's answer was lost and could not be read back.
    Unknown,
}

impl OutcomeKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub provider_status: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
}

/// An intent whose outcome was never written (the process stopped between
/// the two), found at start-up to be reconciled.
#[derive(Debug, Clone)]
pub struct OpenIntent {
    pub id: i64,
    pub action: String,
    pub space: String,
    pub target: String,
}

pub struct AuditLog {
    pool: SqlitePool,
    /// Appends are serialised so each row chains onto the one before it.
    append: tokio::sync::Mutex<()>,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl AuditLog {
    /// Opens (creating if needed) the database file and applies migrations.
    pub async fn open(path: &Path) -> Result<Self, AuditError> {
        private_file(path)?;
        let opts = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("../migrations").run(&pool).await?;
        Ok(Self {
            pool,
            append: tokio::sync::Mutex::new(()),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn append(&self, mut row: Row) -> Result<i64, AuditError> {
        let _guard = self.append.lock().await;
        let mut tx = self.pool.begin().await?;
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
        let (last_id, prev) = last.unwrap_or((0, GENESIS.to_string()));
        row.id = last_id + 1;
        row.prev_hash = prev;
        let hash = chain::hash(&row);
        sqlx::query(
            "INSERT INTO audit_events (id, at, kind, intent_id, actor, action, space, target, \
             outcome, provider_status, message, request_id, detail, prev_hash, hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(row.id)
        .bind(&row.at)
        .bind(&row.kind)
        .bind(row.intent_id)
        .bind(&row.actor)
        .bind(&row.action)
        .bind(&row.space)
        .bind(&row.target)
        .bind(&row.outcome)
        .bind(&row.provider_status)
        .bind(&row.message)
        .bind(&row.request_id)
        .bind(&row.detail)
        .bind(&row.prev_hash)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.id)
    }

    /// Records and commits an intent; its id links the outcome to it.
    pub async fn record_intent(&self, i: Intent<'_>) -> Result<i64, AuditError> {
        self.append(Row {
            id: 0,
            at: now_rfc3339(),
            kind: "intent".into(),
            intent_id: None,
            actor: i.actor.into(),
            action: i.action.into(),
            space: i.space.into(),
            target: i.target.into(),
            outcome: None,
            provider_status: None,
            message: None,
            request_id: None,
            detail: i.detail.map(str::to_string),
            prev_hash: String::new(),
        })
        .await
    }

    pub async fn record_outcome(&self, intent_id: i64, o: Outcome) -> Result<i64, AuditError> {
        let (actor, action, space, target, detail): (String, String, String, String, Option<String>) =
            sqlx::query_as(
                "SELECT actor, action, space, target, detail FROM audit_events WHERE id = ? AND kind = 'intent'",
            )
                .bind(intent_id)
                .fetch_one(&self.pool)
                .await?;
        self.append(Row {
            id: 0,
            at: now_rfc3339(),
            kind: "outcome".into(),
            intent_id: Some(intent_id),
            actor,
            action,
            space,
            target,
            outcome: Some(o.kind.as_str().into()),
            provider_status: o.provider_status,
            message: Some(o.message),
            request_id: o.request_id,
            detail,
            prev_hash: String::new(),
        })
        .await
    }

    /// Records something already done (a sign-in, a user change): its
    /// intent and outcome, one after the other.
    pub async fn record_event(&self, i: Intent<'_>, o: Outcome) -> Result<i64, AuditError> {
        let id = self.record_intent(i).await?;
        self.record_outcome(id, o).await?;
        Ok(id)
    }

    /// Records a finished event that concerns no space (a sign-in, a
    /// sign-out), naming `target`, with `ok` or `error` as its outcome.
    pub async fn record_done(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        ok: bool,
        message: String,
        detail: Option<&str>,
    ) -> Result<i64, AuditError> {
        self.record_event(
            Intent::local(actor, action, target, detail),
            Outcome {
                kind: if ok {
                    OutcomeKind::Ok
                } else {
                    OutcomeKind::Error
                },
                provider_status: None,
                message,
                request_id: None,
            },
        )
        .await
    }

    /// Records the outcome of an intent, retrying a few times: the action
    /// has happened, so its record must not be lost. If it still fails the
    /// intent stays open and is reconciled at the next start.
    pub async fn settle(&self, intent_id: i64, outcome: Outcome) {
        for attempt in 1..=3 {
            match self.record_outcome(intent_id, outcome.clone()).await {
                Ok(_) => return,
                Err(e) => {
                    tracing::error!(intent_id, attempt, error = %e, "audit outcome not written");
                    tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
                }
            }
        }
    }

    /// Runs a change to the console's own data (a user, a password) under
    /// the intent/outcome rule: the intent is committed first, and if it
    /// cannot be the change is not made (the outer `Err`); then the change,
    /// then its outcome, `describe`d on success or the error's own words.
    pub async fn audited<T, E: std::fmt::Display>(
        &self,
        intent: Intent<'_>,
        change: impl std::future::Future<Output = Result<T, E>>,
        describe: impl FnOnce(&T) -> String,
    ) -> Result<Result<T, E>, AuditError> {
        let intent_id = self.record_intent(intent).await?;
        let result = change.await;
        let (kind, message) = match &result {
            Ok(v) => (OutcomeKind::Ok, describe(v)),
            Err(e) => (OutcomeKind::Error, e.to_string()),
        };
        self.settle(
            intent_id,
            Outcome {
                kind,
                provider_status: None,
                message,
                request_id: None,
            },
        )
        .await;
        Ok(result)
    }

    pub async fn open_intents(&self) -> Result<Vec<OpenIntent>, AuditError> {
        let rows = sqlx::query(
            "SELECT i.id, i.action, i.space, i.target FROM audit_events i \
             WHERE i.kind = 'intent' AND NOT EXISTS \
             (SELECT 1 FROM audit_events o WHERE o.intent_id = i.id) ORDER BY i.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| OpenIntent {
                id: r.get(0),
                action: r.get(1),
                space: r.get(2),
                target: r.get(3),
            })
            .collect())
    }

    /// One page (from 1) of actions, newest first, each intent with its outcome.
    pub async fn page(
        &self,
        space: Option<&str>,
        page: u32,
        size: u32,
    ) -> Result<(Vec<AuditEntry>, i64), AuditError> {
        let offset = i64::from(page.max(1) - 1) * i64::from(size);
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'intent' AND (?1 IS NULL OR space = ?1)",
        )
        .bind(space)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(
            "SELECT i.id, i.at, i.actor, i.action, i.space, i.target, \
             o.outcome, o.provider_status, o.message, o.request_id, o.at, i.detail \
             FROM audit_events i LEFT JOIN audit_events o ON o.intent_id = i.id \
             WHERE i.kind = 'intent' AND (?1 IS NULL OR i.space = ?1) \
             ORDER BY i.id DESC LIMIT ?2 OFFSET ?3",
        )
        .bind(space)
        .bind(i64::from(size))
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let entries = rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                at: r.get(1),
                actor: r.get(2),
                action: r.get(3),
                space: r.get(4),
                target: r.get(5),
                outcome: r.get(6),
                provider_status: r.get(7),
                message: r.get(8),
                request_id: r.get(9),
                finished_at: r.get(10),
                detail: r.get(11),
            })
            .collect();
        Ok((entries, total))
    }

    /// The spaces that appear in the history, for the filter.
    pub async fn spaces(&self) -> Result<Vec<String>, AuditError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT space FROM audit_events WHERE space != '' ORDER BY space",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Recomputes the whole chain.
    pub async fn verify(&self) -> Result<ChainStatus, AuditError> {
        let rows: Vec<(Row, String)> = sqlx::query(
            "SELECT id, at, kind, intent_id, actor, action, space, target, outcome, \
             provider_status, message, request_id, prev_hash, hash, detail FROM audit_events ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            (
                Row {
                    id: r.get(0),
                    at: r.get(1),
                    kind: r.get(2),
                    intent_id: r.get(3),
                    actor: r.get(4),
                    action: r.get(5),
                    space: r.get(6),
                    target: r.get(7),
                    outcome: r.get(8),
                    provider_status: r.get(9),
                    message: r.get(10),
                    request_id: r.get(11),
                    detail: r.get(14),
                    prev_hash: r.get(12),
                },
                r.get(13),
            )
        })
        .collect();
        Ok(ChainStatus {
            records: rows.len() as i64,
            broken_at: chain::first_break(rows.iter().map(|(r, h)| (r, h.as_str()))),
        })
    }
}
