//! Four eyes, stored: the approval policy, the approval requests with the
//! votes cast on them, and the peerings the team expects (`expected`).
//! Deciding is the executor's (`actions::approval`); this module only
//! reads and writes the database, and every change of a request's state is one
//! conditional UPDATE, so two people deciding at once cannot both win.

pub mod expected;

use domain::action::Action;

use crate::db::{Affected, Db, WritePool};
use crate::on_pool;
use domain::approval::ApprovalState;
use domain::kind::AuditName;
use domain::policy::{Policy, Snapshot};

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

/// The columns of a request, with the names of those who approved it so
/// far as a JSON array, each database with its own aggregate.
fn columns(db: &Db) -> String {
    let votes = match db {
        Db::Sqlite(_) => "json_group_array(voter)",
        Db::Postgres(_) => "coalesce(json_agg(voter ORDER BY at, voter)::text, '[]')",
    };
    format!(
        "id, action, kind, space, target, requester, reason, snapshot, needed, \
         requested_at, expires_at, state, decided_by, decided_at, comment, outcome, \
         (SELECT {votes} FROM approval_votes WHERE request = approval_requests.id) AS votes"
    )
}

fn corrupt(what: &'static str) -> impl Fn(String) -> StoreError {
    move |e| StoreError::Corrupt(what, e)
}

/// A request as its row holds it.
#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    action: String,
    kind: String,
    space: String,
    target: String,
    requester: String,
    reason: String,
    snapshot: String,
    needed: i64,
    requested_at: String,
    expires_at: String,
    state: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
    comment: Option<String>,
    outcome: Option<String>,
    votes: Option<String>,
}

impl RequestRow {
    fn request(self) -> Result<Request, StoreError> {
        let action: Action =
            serde_json::from_str(&self.action).map_err(|e| corrupt("action")(e.to_string()))?;
        let snapshot: Snapshot =
            serde_json::from_str(&self.snapshot).map_err(|e| corrupt("snapshot")(e.to_string()))?;
        let approvals: Vec<String> = self
            .votes
            .as_deref()
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or_default();
        Ok(Request {
            id: self.id,
            kind: self.kind.parse().map_err(corrupt("kind"))?,
            action,
            space: self.space,
            target: self.target,
            requester: self.requester,
            reason: self.reason,
            snapshot,
            needed: self.needed.clamp(1, 255) as u8,
            approvals,
            requested_at: self.requested_at,
            expires_at: self.expires_at,
            state: ApprovalState::parse(&self.state).ok_or_else(|| corrupt("state")(self.state))?,
            decided_by: self.decided_by,
            decided_at: self.decided_at,
            comment: self.comment,
            outcome: self.outcome,
        })
    }
}

pub struct Approvals {
    db: Db,
}

impl Approvals {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The policy in force: the one an admin set, or a new console's.
    pub async fn policy(&self) -> Result<Policy, StoreError> {
        let stored = self.db.setting(POLICY_KEY).await?;
        match stored {
            None => Ok(Policy::default()),
            Some(json) => serde_json::from_str(&json).map_err(|e| corrupt("policy")(e.to_string())),
        }
    }

    pub async fn set_policy(&self, policy: &Policy) -> Result<(), StoreError> {
        let json = serde_json::to_string(policy).map_err(|e| corrupt("policy")(e.to_string()))?;
        self.db.set_setting(POLICY_KEY, &json).await?;
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
        let inserted = on_pool!(&self.db, p => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO approval_requests (action, kind, space, target, requester, reason, \
                 snapshot, needed, requested_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(&action)
            .bind(kind.as_str())
            .bind(new.space)
            .bind(&target)
            .bind(new.requester)
            .bind(new.reason)
            .bind(&snapshot)
            .bind(i64::from(new.needed))
            .bind(now())
            .bind(new.expires_at)
            .fetch_one(p)
            .await
        });
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
        let sql = format!(
            "SELECT {} FROM approval_requests WHERE id = $1",
            columns(&self.db)
        );
        let row: Option<RequestRow> =
            on_pool!(&self.db, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        row.map(RequestRow::request).transpose()
    }

    /// The open request for `kind` on `target`, if any.
    pub async fn open_for(
        &self,
        kind: AuditName,
        target: &str,
    ) -> Result<Option<Request>, StoreError> {
        self.many(
            "kind = $1 AND target = $2 AND state IN ('pending', 'executing')",
            &[kind.as_str(), target],
        )
        .await
        .map(|mut v| v.pop())
    }

    /// The requests `clause` picks, its `$n` bound to `binds`.
    async fn many(&self, clause: &str, binds: &[&str]) -> Result<Vec<Request>, StoreError> {
        let sql = format!(
            "SELECT {} FROM approval_requests WHERE {clause}",
            columns(&self.db)
        );
        let rows: Vec<RequestRow> = on_pool!(&self.db, p => {
            let mut q = sqlx::query_as(&sql);
            for b in binds {
                q = q.bind(*b);
            }
            q.fetch_all(p).await
        })?;
        rows.into_iter().map(RequestRow::request).collect()
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
            "requested_at >= $1 OR decided_at >= $1 ORDER BY id LIMIT 1000",
            &[since],
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
            "{column} = $1 AND (state IN ('pending', 'executing') OR requested_at >= $2 \
             OR decided_at >= $2) ORDER BY id DESC LIMIT 200"
        );
        self.many(&clause, &[value, since]).await
    }

    /// Pending requests whose time has run out at `now`.
    pub async fn due(&self, now: &str) -> Result<Vec<i64>, StoreError> {
        Ok(on_pool!(&self.db, p => {
            sqlx::query_scalar(
                "SELECT id FROM approval_requests WHERE state = 'pending' AND expires_at <= $1",
            )
            .bind(now)
            .fetch_all(p)
            .await
        })?)
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
        let (decided, have, needed) = on_pool!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let open: Option<(String, i64)> = sqlx::query_as(
                "SELECT state, needed FROM approval_requests WHERE id = $1 AND expires_at > $2",
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
                 granted_by) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
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
                "UPDATE approval_requests SET state = 'executing', decided_by = $1, \
                 decided_at = $2, comment = $3, console = $5 WHERE id = $4 AND state = 'pending' \
                 AND expires_at > $2 \
                 AND (SELECT count(*) FROM approval_votes WHERE request = $4) >= needed",
            )
            .bind(voter)
            .bind(&now)
            .bind(comment)
            .bind(id)
            .bind(crate::db::consoles::this_console())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let have: i64 =
                sqlx::query_scalar("SELECT count(*) FROM approval_votes WHERE request = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            tx.commit().await?;
            (decided, have, needed)
        });
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
        let done = on_pool!(&self.db, p => {
            sqlx::query(
                "UPDATE approval_requests SET state = $1, decided_by = $2, decided_at = $3, \
                 comment = coalesce($4, comment) WHERE id = $5 AND state = 'pending'",
            )
            .bind(to.as_str())
            .bind(by)
            .bind(now())
            .bind(comment)
            .bind(id)
            .execute(p)
            .await
            .affected()
        })?;
        Ok(done == 1)
    }

    /// What executing an approved request led to.
    pub async fn finish(&self, id: i64, ok: bool, outcome: &str) -> Result<(), StoreError> {
        let to = if ok {
            ApprovalState::Executed
        } else {
            ApprovalState::Failed
        };
        on_pool!(&self.db, p => {
            sqlx::query(
                "UPDATE approval_requests SET state = $1, outcome = $2 \
                 WHERE id = $3 AND state = 'executing'",
            )
            .bind(to.as_str())
            .bind(outcome)
            .bind(id)
            .execute(p)
            .await
            .affected()
        })?;
        Ok(())
    }

    /// Requests left `executing` by a stop: their action's own intent is
    /// settled by reconciliation; the request says it did not finish here.
    /// On PostgreSQL only those of consoles no longer alive: the others'
    /// are being carried out now.
    pub async fn settle_interrupted(&self) -> Result<u64, StoreError> {
        const SETTLE: &str = "UPDATE approval_requests SET state = 'failed', outcome = \
             'The console stopped while carrying it out; see the audit history for its outcome.' \
             WHERE state = 'executing'";
        Ok(match &self.db {
            Db::Sqlite(p) => sqlx::query(SETTLE).execute(p).await.affected(),
            Db::Postgres(p) => sqlx::query(&format!(
                "{SETTLE} AND (console IS NULL OR console NOT IN \
                 (SELECT id FROM consoles WHERE seen_ms >= $1))"
            ))
            .bind(crate::db::consoles::dead_before())
            .execute(p)
            .await
            .affected(),
        }?)
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
