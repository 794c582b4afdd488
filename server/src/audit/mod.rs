//! The audit history in SQLite. Every action is two rows: an intent,
//! committed before the provider is called (if it cannot be written the
//! action is refused), and an outcome once the provider has answered. The
//! rows form a keyed chain (`chain`, `key`), verified in the background
//! (`integrity`) and vouched for by signed checkpoints kept elsewhere
//! (`checkpoint`). `query` reads it for the Audit page, `export` for SIEMs.

pub mod chain;
pub mod checkpoint;
pub mod export;
pub mod integrity;
pub mod key;
pub mod query;
pub mod verify;

use crate::db::{Conn, Db, WritePool};
use crate::{on_conn, on_pool};
use chain::{GENESIS, Row};
use domain::action::Action;
use domain::kind::AuditName;
use key::AuditKey;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the audit database failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Open(#[from] crate::db::DbError),
    #[error(transparent)]
    Key(#[from] key::KeyError),
    /// The intent has its outcome already: another console settled it
    /// first (two consoles settling a dead one's action at once, or a
    /// console taken for dead that was only slow). Nothing was written.
    #[error("intent {0} has its outcome already")]
    AlreadySettled(i64),
}

/// What is about to be done, by whom.
#[derive(Debug, Clone)]
pub struct Intent<'a> {
    pub actor: &'a str,
    pub name: AuditName,
    /// The space's name as the provider lists it; empty for local changes.
    pub space: &'a str,
    pub target: &'a str,
    /// What else the action is about (accounts, an endpoint), if anything.
    pub detail: Option<&'a str>,
    /// The action itself, kept as JSON so it can be read back.
    pub action: Option<&'a Action>,
}

impl<'a> Intent<'a> {
    /// A record that carries no action: a refusal.
    pub fn event(
        actor: &'a str,
        name: AuditName,
        target: &'a str,
        detail: Option<&'a str>,
    ) -> Self {
        Self {
            actor,
            name,
            space: "",
            target,
            detail,
            action: None,
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

impl Outcome {
    /// An outcome with no provider behind it: a local change, a sign-in.
    pub fn local(ok: bool, message: String) -> Self {
        Self {
            kind: if ok {
                OutcomeKind::Ok
            } else {
                OutcomeKind::Error
            },
            provider_status: None,
            message,
            request_id: None,
        }
    }
}

/// An intent whose outcome was never written (the process stopped between
/// the two), found at start-up to be reconciled.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenIntent {
    pub id: i64,
    /// The stored audit name, as text: rows are read as they are.
    #[sqlx(rename = "action")]
    pub name: String,
    pub space: String,
    pub target: String,
    pub action_data: Option<String>,
    /// The console that wrote it (none for intents from before consoles
    /// were told apart).
    pub console: Option<String>,
}

impl OpenIntent {
    /// The action the intent was about to carry out, stored with it since
    /// actions are data. `None` for rows written before that (reconciliation
    /// then goes by the record's name), or if it no longer parses.
    pub fn action(&self) -> Option<Action> {
        let json = self.action_data.as_ref()?;
        serde_json::from_str(json)
            .inspect_err(|e| tracing::warn!(id = self.id, error = %e, "stored action unreadable"))
            .ok()
    }
}

/// Writes one record as it is, with its MAC. Only `AuditLog::append`
/// chains records; the benchmark uses this to build its fixture.
pub async fn insert(conn: Conn<'_>, row: &Row, mac: &str) -> Result<(), sqlx::Error> {
    on_conn!(conn, c => sqlx::query(
        "INSERT INTO audit_events (id, at, kind, intent_id, actor, action, space, target, \
         outcome, provider_status, message, request_id, detail, action_data, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
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
    .bind(&row.action_data)
    .bind(&row.prev_hash)
    .bind(mac)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Intents without an outcome, from the table the triggers keep (see
/// migration `20261126000001`): start-up reads a handful of rows, however
/// long the history is. CROSS JOIN makes SQLite loop over that table and
/// look each intent up, never the other way round; PostgreSQL's planner
/// does so by itself (and takes no ON after a CROSS JOIN).
fn open_intents_sql(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => {
            "SELECT i.id, i.action, i.space, i.target, i.action_data, w.console \
             FROM audit_open_intents w CROSS JOIN audit_events i ON i.id = w.intent_id \
             ORDER BY i.id"
        }
        Db::Postgres(_) => {
            "SELECT i.id, i.action, i.space, i.target, i.action_data, w.console \
             FROM audit_open_intents w JOIN audit_events i ON i.id = w.intent_id \
             ORDER BY i.id"
        }
    }
}

pub struct AuditLog {
    db: Db,
    key: Arc<AuditKey>,
    /// Appends are serialised so each row chains onto the one before it.
    append: tokio::sync::Mutex<()>,
    /// Told after each append, for the background verification.
    appended: tokio::sync::Notify,
    /// Why the newest append failed, until one succeeds: what readiness
    /// says, without taking the write lock itself.
    failing: std::sync::Mutex<Option<String>>,
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl AuditLog {
    /// The history in the console's database (see `db::open`), written
    /// under `key`. If the newest records are not under this key (a history
    /// from before keys, or another key), an `audit.keyed` record says from
    /// where on this one is used.
    pub async fn new(db: Db, key: Arc<AuditKey>) -> Result<Self, AuditError> {
        let log = Self {
            db,
            key,
            append: tokio::sync::Mutex::new(()),
            appended: tokio::sync::Notify::new(),
            failing: std::sync::Mutex::new(None),
        };
        log.key_the_history().await?;
        Ok(log)
    }

    /// Opens the database file on its own, with the key file beside it
    /// (made if missing): for tests and tools.
    pub async fn open(path: &Path) -> Result<Self, AuditError> {
        let (key, _) = AuditKey::resolve(None, path, true)?;
        let db = crate::db::open(&crate::db::Location::File(path.into())).await?;
        Self::new(db, Arc::new(key)).await
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn key(&self) -> &Arc<AuditKey> {
        &self.key
    }

    /// Notified after every append.
    pub fn appended(&self) -> &tokio::sync::Notify {
        &self.appended
    }

    /// Writes the `audit.keyed` record unless the newest one names this key.
    async fn key_the_history(&self) -> Result<(), AuditError> {
        let newest: Option<(i64, Option<String>)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT id, detail FROM audit_events WHERE kind = 'intent' AND action = $1 \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(AuditName::AuditKeyed.as_str())
            .fetch_optional(p)
            .await
        })?;
        let detail = verify::keyed_detail(self.key.id());
        let message = match &newest {
            Some((_, Some(d))) if *d == detail => return Ok(()),
            Some((id, d)) => {
                let was = verify::keyed_by(d.as_deref()).unwrap_or("?");
                tracing::error!(
                    from = id,
                    was,
                    now = self.key.id(),
                    "the audit key changed: the records written under the old key can no \
                     longer be proven by their MACs; restore the old key file if it was not \
                     meant to change"
                );
                format!(
                    "The audit key changed: records from {id} were written with key {was}; \
                     from this record on, with key {}.",
                    self.key.id()
                )
            }
            None => format!(
                "From this record on, every record carries an HMAC-SHA256 under audit key {}; \
                 the records before it keep their SHA-256 chain.",
                self.key.id()
            ),
        };
        self.record_event(
            Intent {
                actor: "console",
                name: AuditName::AuditKeyed,
                space: "",
                target: "audit history",
                detail: Some(&detail),
                action: None,
            },
            Outcome::local(true, message),
        )
        .await?;
        Ok(())
    }

    /// Why the newest append failed, if it did (and none succeeded since).
    pub fn failing(&self) -> Option<String> {
        self.failing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn append(&self, row: Row) -> Result<i64, AuditError> {
        let appended = self.append_row(row).await;
        match &appended {
            // The history is fine: someone else wrote that outcome.
            Err(AuditError::AlreadySettled(_)) => {}
            other => {
                *self.failing.lock().unwrap_or_else(|e| e.into_inner()) =
                    other.as_ref().err().map(|e| e.to_string());
            }
        }
        appended
    }

    async fn append_row(&self, mut row: Row) -> Result<i64, AuditError> {
        let _guard = self.append.lock().await;
        // The write lock from the first read, so that another process
        // appending (`spaceport user`, another console on the same
        // PostgreSQL) waits instead of chaining onto the same row.
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let last: Option<(i64, String)> =
                sqlx::query_as("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(intent) = row.intent_id {
                let settled: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM audit_events WHERE kind = 'outcome' AND intent_id = $1",
                )
                .bind(intent)
                .fetch_optional(&mut *tx)
                .await?;
                if settled.is_some() {
                    return Err(AuditError::AlreadySettled(intent));
                }
            }
            let (last_id, prev) = last.unwrap_or((0, GENESIS.to_string()));
            row.id = last_id + 1;
            row.prev_hash = prev;
            let hash = chain::mac(&self.key, &row);
            insert(Conn::from(&mut *tx), &row, &hash).await?;
            if row.intent_id.is_none() {
                // Whose it is, should it stay open (see `db::consoles`).
                sqlx::query("UPDATE audit_open_intents SET console = $1 WHERE intent_id = $2")
                    .bind(crate::db::consoles::this_console())
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        self.appended.notify_one();
        Ok(row.id)
    }

    /// Records and commits an intent; its id links the outcome to it.
    pub async fn record_intent(&self, i: Intent<'_>) -> Result<i64, AuditError> {
        let action_data = match i.action {
            Some(a) => Some(
                serde_json::to_string(a)
                    .map_err(|e| AuditError::Database(sqlx::Error::Encode(Box::new(e))))?,
            ),
            None => None,
        };
        self.append(Row {
            id: 0,
            at: now_rfc3339(),
            kind: "intent".into(),
            intent_id: None,
            actor: i.actor.into(),
            action: i.name.as_str().into(),
            space: i.space.into(),
            target: i.target.into(),
            outcome: None,
            provider_status: None,
            message: None,
            request_id: None,
            detail: i.detail.map(str::to_string),
            action_data,
            prev_hash: String::new(),
        })
        .await
    }

    pub async fn record_outcome(&self, intent_id: i64, o: Outcome) -> Result<i64, AuditError> {
        let (actor, action, space, target, detail): (
            String,
            String,
            String,
            String,
            Option<String>,
        ) = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT actor, action, space, target, detail FROM audit_events \
                 WHERE id = $1 AND kind = 'intent'",
            )
            .bind(intent_id)
            .fetch_one(p)
            .await
        })?;
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
            action_data: None,
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

    /// Records the outcome of an intent, retrying a few times: the action
    /// has happened, so its record must not be lost. If it still fails the
    /// intent stays open and is reconciled at the next start.
    pub async fn settle(&self, intent_id: i64, outcome: Outcome) {
        for attempt in 1..=3 {
            match self.record_outcome(intent_id, outcome.clone()).await {
                Ok(_) => return,
                // Settled by another console meanwhile (this one was taken
                // for dead): its outcome stands, and retrying cannot help.
                Err(e @ AuditError::AlreadySettled(_)) => {
                    tracing::warn!(intent_id, error = %e, "outcome written elsewhere first");
                    return;
                }
                Err(e) => {
                    tracing::error!(intent_id, attempt, error = %e, "audit outcome not written");
                    tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
                }
            }
        }
    }

    pub async fn open_intents(&self) -> Result<Vec<OpenIntent>, AuditError> {
        Ok(on_pool!(&self.db, p => sqlx::query_as(open_intents_sql(&self.db)).fetch_all(p).await)?)
    }

    /// The newest `n` actions of the history, newest first.
    pub async fn recent(&self, n: u32) -> Result<Vec<domain::model::AuditEntry>, query::PageError> {
        let page = query::page(&self.db, &domain::model::AuditQuery::default(), n).await?;
        Ok(page.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn open_intents_are_found_without_reading_the_history() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(&dir.path().join("plan.db")).await.unwrap();
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!(
            "EXPLAIN QUERY PLAN {}",
            open_intents_sql(log.db())
        ))
        .fetch_all(log.db().as_sqlite().unwrap())
        .await
        .unwrap();
        let steps: Vec<&str> = plan.iter().map(|p| p.3.as_str()).collect();
        assert!(steps.iter().all(|s| !s.starts_with("SCAN i")), "{steps:?}");
        // And it still finds what it should.
        let open = log
            .record_intent(Intent::event("t", AuditName::SignIn, "t", None))
            .await
            .unwrap();
        let closed = log
            .record_intent(Intent::event("t", AuditName::SignOut, "t", None))
            .await
            .unwrap();
        log.record_outcome(closed, Outcome::local(true, "done".into()))
            .await
            .unwrap();
        let ids: Vec<i64> = log
            .open_intents()
            .await
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(ids, [open]);
    }
}
