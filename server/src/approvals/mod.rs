//! Four eyes, stored: the approval policy, the approval requests with the
//! votes cast on them, and the peerings the team expects (`expected`).
//! Deciding is the executor's (`actions::approval`); this module only
//! reads and writes SQLite, and every change of a request's state is one
//! conditional UPDATE, so two people deciding at once cannot both win.

pub mod expected;

use domain::action::Action;

use domain::approval::ApprovalState;
use domain::kind::AuditName;
use domain::policy::{Policy, Snapshot};
use sqlx::{Row, SqlitePool};

/// The `console_settings` key the policy is kept under.
const POLICY_KEY: &str = "approval_policy";

pub use crate::db::{now, stamp};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("a stored {0} could not be read: {1}")]
    Corrupt(&'static str, String),
    /// The one open request for the same thing.
    #[error("approval #{0} already asks for this")]
    AlreadyOpen(i64),
}

/// One approval request as stored.
pub type Request = domain::approval::ApprovalRecord;

/// A request about to be stored.
pub struct NewRequest<'a> {
    pub action: &'a Action,
    pub space: &'a str,
    pub requester: &'a str,
    pub reason: &'a str,
    pub snapshot: &'a Snapshot,
    pub needed: u8,
    pub expires_at: &'a str,
}

/// What one approval did to its request.
#[derive(Debug, PartialEq, Eq)]
pub enum Vote {
    /// This vote was the last one needed: the caller executes.
    Decisive,
    /// Counted; `have` of `needed` so far.
    Counted { have: u8, needed: u8 },
    /// Not counted: this person had approved already.
    Repeated,
    /// Not counted: the request is no longer pending (someone else decided
    /// it first, or its time ran out).
    TooLate,
}

const COLUMNS: &str = "id, action, kind, space, target, requester, reason, snapshot, needed, \
     requested_at, expires_at, state, decided_by, decided_at, comment, outcome, \
     (SELECT json_group_array(voter) FROM approval_votes WHERE request = approval_requests.id) AS votes";

fn corrupt(what: &'static str) -> impl Fn(String) -> StoreError {
    move |e| StoreError::Corrupt(what, e)
}

fn request_from(row: &sqlx::sqlite::SqliteRow) -> Result<Request, StoreError> {
    let text = |c: &str| row.try_get::<String, _>(c);
    let action: Action =
        serde_json::from_str(&text("action")?).map_err(|e| corrupt("action")(e.to_string()))?;
    let snapshot: Snapshot =
        serde_json::from_str(&text("snapshot")?).map_err(|e| corrupt("snapshot")(e.to_string()))?;
    let approvals: Vec<String> = serde_json::from_str(&text("votes")?).unwrap_or_default();
    let state = text("state")?;
    Ok(Request {
        id: row.try_get("id")?,
        kind: text("kind")?.parse().map_err(corrupt("kind"))?,
        action,
        space: text("space")?,
        target: text("target")?,
        requester: text("requester")?,
        reason: text("reason")?,
        snapshot,
        needed: row.try_get::<i64, _>("needed")?.clamp(1, 255) as u8,
        approvals,
        requested_at: text("requested_at")?,
        expires_at: text("expires_at")?,
        state: ApprovalState::parse(&state).ok_or_else(|| corrupt("state")(state))?,
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get("decided_at")?,
        comment: row.try_get("comment")?,
        outcome: row.try_get("outcome")?,
    })
}

pub struct Approvals {
    pool: SqlitePool,
}

impl Approvals {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The policy in force: the one an admin set, or a new console's.
    pub async fn policy(&self) -> Result<Policy, StoreError> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT value FROM console_settings WHERE key = ?")
                .bind(POLICY_KEY)
                .fetch_optional(&self.pool)
                .await?;
        match stored {
            None => Ok(Policy::default()),
            Some(json) => serde_json::from_str(&json).map_err(|e| corrupt("policy")(e.to_string())),
        }
    }

    pub async fn set_policy(&self, policy: &Policy) -> Result<(), StoreError> {
        let json = serde_json::to_string(policy).map_err(|e| corrupt("policy")(e.to_string()))?;
        sqlx::query(
            "INSERT INTO console_settings (key, value) VALUES (?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(POLICY_KEY)
        .bind(json)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores a pending request; refused while another one for the same
    /// action and target is open.
    pub async fn insert(&self, new: NewRequest<'_>) -> Result<i64, StoreError> {
        let action =
            serde_json::to_string(new.action).map_err(|e| corrupt("action")(e.to_string()))?;
        let snapshot =
            serde_json::to_string(new.snapshot).map_err(|e| corrupt("snapshot")(e.to_string()))?;
        let target = new.action.target();
        let kind = new.action.name();
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO approval_requests (action, kind, space, target, requester, reason, \
             snapshot, needed, requested_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             RETURNING id",
        )
        .bind(action)
        .bind(kind.as_str())
        .bind(new.space)
        .bind(&target)
        .bind(new.requester)
        .bind(new.reason)
        .bind(snapshot)
        .bind(i64::from(new.needed))
        .bind(now())
        .bind(new.expires_at)
        .fetch_one(&self.pool)
        .await;
        match inserted {
            Ok(id) => Ok(id),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                let open = self.open_for(kind, &target).await?;
                Err(StoreError::AlreadyOpen(open.map_or(0, |r| r.id)))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get(&self, id: i64) -> Result<Option<Request>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM approval_requests WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(request_from).transpose()
    }

    /// The open request for `kind` on `target`, if any.
    pub async fn open_for(
        &self,
        kind: AuditName,
        target: &str,
    ) -> Result<Option<Request>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM approval_requests WHERE kind = ? AND target = ? \
             AND state IN ('pending', 'executing')"
        ))
        .bind(kind.as_str())
        .bind(target)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(request_from).transpose()
    }

    async fn many(&self, clause: &str, binds: &[&str]) -> Result<Vec<Request>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM approval_requests WHERE {clause}");
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(request_from)
            .collect()
    }

    /// Every open request, oldest first.
    pub async fn open(&self) -> Result<Vec<Request>, StoreError> {
        self.many("state IN ('pending', 'executing') ORDER BY id", &[])
            .await
    }

    /// A space's open requests, and those asked for or decided since
    /// `since`, newest first.
    pub async fn of_space(&self, space: &str, since: &str) -> Result<Vec<Request>, StoreError> {
        self.recent("space", space, since).await
    }

    /// `who`'s requests, open or asked for or decided since `since`,
    /// newest first.
    pub async fn of_requester(&self, who: &str, since: &str) -> Result<Vec<Request>, StoreError> {
        self.recent("requester", who, since).await
    }

    /// Every request asked for or decided since `since`, oldest first:
    /// what the watcher turns into events.
    pub async fn touched_since(&self, since: &str) -> Result<Vec<Request>, StoreError> {
        self.many(
            "requested_at >= ? OR decided_at >= ? ORDER BY id LIMIT 1000",
            &[since, since],
        )
        .await
    }

    /// The requests whose `column` (a name of ours, never input) is
    /// `value`, open or touched since `since`.
    async fn recent(
        &self,
        column: &'static str,
        value: &str,
        since: &str,
    ) -> Result<Vec<Request>, StoreError> {
        let clause = format!(
            "{column} = ? AND (state IN ('pending', 'executing') OR requested_at >= ? \
             OR decided_at >= ?) ORDER BY id DESC LIMIT 200"
        );
        self.many(&clause, &[value, since, since]).await
    }

    /// Pending requests whose time has run out at `now`.
    pub async fn due(&self, now: &str) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM approval_requests WHERE state = 'pending' AND expires_at <= ?",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One approval by `voter`. The vote and, when it is the last one
    /// needed, the move to `executing` are one transaction; the move is
    /// conditional on the request still being pending and in time, so of
    /// any number of simultaneous approvals exactly one is `Decisive`.
    pub async fn vote(
        &self,
        id: i64,
        voter: &str,
        comment: &str,
        standing: Option<&domain::policy::Grant>,
    ) -> Result<Vote, StoreError> {
        let now = now();
        let comment = (!comment.is_empty()).then_some(comment);
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let open: Option<(String, i64)> = sqlx::query_as(
            "SELECT state, needed FROM approval_requests WHERE id = ? AND expires_at > ?",
        )
        .bind(id)
        .bind(&now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(("pending", needed)) = open.as_ref().map(|(s, n)| (s.as_str(), *n)) else {
            return Ok(Vote::TooLate);
        };
        let counted = sqlx::query(
            "INSERT INTO approval_votes (request, voter, at, comment, role, role_since, \
             granted_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(voter)
        .bind(&now)
        .bind(comment)
        .bind(standing.map(|g| g.role.as_str()))
        .bind(standing.map(|g| g.at.as_str()))
        .bind(standing.map(|g| g.giver()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if counted == 0 {
            return Ok(Vote::Repeated);
        }
        let decided = sqlx::query(
            "UPDATE approval_requests SET state = 'executing', decided_by = ?, decided_at = ?, \
             comment = ? WHERE id = ? AND state = 'pending' AND expires_at > ? \
             AND (SELECT count(*) FROM approval_votes WHERE request = ?) >= needed",
        )
        .bind(voter)
        .bind(&now)
        .bind(comment)
        .bind(id)
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let have: i64 = sqlx::query_scalar("SELECT count(*) FROM approval_votes WHERE request = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(if decided == 1 {
            Vote::Decisive
        } else {
            Vote::Counted {
                have: have.clamp(0, 255) as u8,
                needed: needed.clamp(1, 255) as u8,
            }
        })
    }

    /// Moves a pending request to `to` (rejected, withdrawn, expired);
    /// false when it was no longer pending.
    pub async fn close(
        &self,
        id: i64,
        to: ApprovalState,
        by: &str,
        comment: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE approval_requests SET state = ?, decided_by = ?, decided_at = ?, \
             comment = coalesce(?, comment) WHERE id = ? AND state = 'pending'",
        )
        .bind(to.as_str())
        .bind(by)
        .bind(now())
        .bind(comment)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// What executing an approved request led to.
    pub async fn finish(&self, id: i64, ok: bool, outcome: &str) -> Result<(), StoreError> {
        let to = if ok {
            ApprovalState::Executed
        } else {
            ApprovalState::Failed
        };
        sqlx::query(
            "UPDATE approval_requests SET state = ?, outcome = ? WHERE id = ? AND state = 'executing'",
        )
        .bind(to.as_str())
        .bind(outcome)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Requests left `executing` by a stop: their action's own intent is
    /// settled by reconciliation; the request says it did not finish here.
    pub async fn settle_interrupted(&self) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE approval_requests SET state = 'failed', outcome = \
             'The console stopped while carrying it out; see the audit history for its outcome.' \
             WHERE state = 'executing'",
        )
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_whole_seconds_in_utc() {
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(1_795_000_000_123_456_789).unwrap();
        assert_eq!(stamp(t), "2026-11-18T11:06:40Z");
    }
}
