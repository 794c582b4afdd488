//! The audit history in SQLite. Every action is two rows: an intent,
//! committed before the provider is called (if it cannot be written the
//! action is refused), and an outcome once the provider has answered. The
//! rows form a hash chain (see `chain`), verified when the history is read.

pub mod chain;

use app::action::{Action, AuditName};
use app::model::{AuditEntry, ChainStatus};
use chain::{GENESIS, Row};
use sqlx::SqlitePool;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the audit database failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Open(#[from] crate::db::DbError),
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

/// One action of the history as the Audit page reads it: an intent joined
/// with its outcome.
#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    at: String,
    actor: String,
    action: String,
    space: String,
    target: String,
    outcome: Option<String>,
    provider_status: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    finished_at: Option<String>,
    detail: Option<String>,
}

impl From<EntryRow> for AuditEntry {
    fn from(r: EntryRow) -> Self {
        AuditEntry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            space: r.space,
            target: r.target,
            outcome: r.outcome,
            provider_status: r.provider_status,
            message: r.message,
            request_id: r.request_id,
            finished_at: r.finished_at,
            detail: r.detail,
        }
    }
}

/// A stored row with the hash it was stored with.
#[derive(sqlx::FromRow)]
struct Stored {
    #[sqlx(flatten)]
    row: Row,
    hash: String,
}

/// Intents without an outcome. The subquery names `kind = 'outcome'` so
/// that SQLite can answer it from the partial index of outcomes by intent
/// (`audit_events_one_outcome`); without it every intent scanned the whole
/// table, which made start-up quadratic in the history's length.
const OPEN_INTENTS: &str = "SELECT i.id, i.action, i.space, i.target, i.action_data \
     FROM audit_events i WHERE i.kind = 'intent' AND NOT EXISTS \
     (SELECT 1 FROM audit_events o WHERE o.kind = 'outcome' AND o.intent_id = i.id) \
     ORDER BY i.id";

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
    /// The history in the console's database (see `db::open`).
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            append: tokio::sync::Mutex::new(()),
        }
    }

    /// Opens the database file on its own, for the command line and tests.
    pub async fn open(path: &Path) -> Result<Self, AuditError> {
        Ok(Self::new(crate::db::open(path).await?))
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
             outcome, provider_status, message, request_id, detail, action_data, prev_hash, hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
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
                Err(e) => {
                    tracing::error!(intent_id, attempt, error = %e, "audit outcome not written");
                    tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
                }
            }
        }
    }

    pub async fn open_intents(&self) -> Result<Vec<OpenIntent>, AuditError> {
        Ok(sqlx::query_as(OPEN_INTENTS).fetch_all(&self.pool).await?)
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
        let entries: Vec<EntryRow> = sqlx::query_as(
            "SELECT i.id, i.at, i.actor, i.action, i.space, i.target, \
             o.outcome, o.provider_status, o.message, o.request_id, o.at AS finished_at, i.detail \
             FROM audit_events i LEFT JOIN audit_events o ON o.intent_id = i.id \
             WHERE i.kind = 'intent' AND (?1 IS NULL OR i.space = ?1) \
             ORDER BY i.id DESC LIMIT ?2 OFFSET ?3",
        )
        .bind(space)
        .bind(i64::from(size))
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let entries = entries.into_iter().map(AuditEntry::from).collect();
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
        let rows: Vec<Stored> = sqlx::query_as(
            "SELECT id, at, kind, intent_id, actor, action, space, target, outcome, \
             provider_status, message, request_id, detail, action_data, prev_hash, hash \
             FROM audit_events ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(ChainStatus {
            records: rows.len() as i64,
            broken_at: chain::first_break(rows.iter().map(|s| (&s.row, s.hash.as_str()))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn open_intents_are_found_through_the_outcome_index() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(&dir.path().join("plan.db")).await.unwrap();
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {OPEN_INTENTS}"))
                .fetch_all(log.pool())
                .await
                .unwrap();
        let steps: Vec<&str> = plan.iter().map(|p| p.3.as_str()).collect();
        assert!(
            steps
                .iter()
                .any(|s| s.contains("USING") && s.contains("audit_events_one_outcome")),
            "{steps:?}"
        );
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
