//! An approval request as it is stored: the action it holds, who asked
//! and why, what they saw, and where it is in its life.

use crate::action::Action;
use crate::kind::AuditName;
use crate::policy::Snapshot;
use serde::{Deserialize, Serialize};

/// Where a request is in its life. Only `Pending` may be decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    Pending,
    /// Approved; the action is being carried out.
    Executing,
    Executed,
    /// Approved, and the action failed.
    Failed,
    Rejected,
    Withdrawn,
    Expired,
}

impl ApprovalState {
    pub const ALL: [ApprovalState; 7] = [
        Self::Pending,
        Self::Executing,
        Self::Executed,
        Self::Failed,
        Self::Rejected,
        Self::Withdrawn,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Executing => "executing",
            Self::Executed => "executed",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Executing)
    }
}

/// An approval request as it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub id: i64,
    pub action: Action,
    pub kind: AuditName,
    pub space: String,
    pub target: String,
    pub requester: String,
    pub reason: String,
    pub snapshot: Snapshot,
    pub needed: u8,
    /// Who approved so far.
    pub approvals: Vec<String>,
    pub requested_at: String,
    pub expires_at: String,
    pub state: ApprovalState,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// The approver's comment, or why it was rejected.
    pub comment: Option<String>,
    /// What executing it led to.
    pub outcome: Option<String>,
}

impl ApprovalRecord {
    /// Whether its time ran out at `now` (RFC 3339 in whole seconds, UTC,
    /// the form it is stored in).
    pub fn expired_at(&self, now: &str) -> bool {
        self.expires_at.as_str() <= now
    }
}

/// What deciding a request answers: what happened, and the one-time
/// password of a user whose invitation it carried out, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    pub message: String,
    pub password: Option<String>,
}
