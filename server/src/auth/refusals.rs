//! Refusals in the audit history: a call a role may not make, a request
//! from another site, a sign-in held back by the throttle. Each is evidence
//! someone tried, so it is recorded; but a refusal costs the refused
//! nothing, so each source (a signed-in user, or an address) gets a small
//! budget of records, refilled slowly, and what goes over it is counted
//! and mentioned in the next record that is written rather than flooding
//! the history.

use crate::audit::{AuditLog, Intent, Outcome};
use crate::limit::KeyedBuckets;
use app::action::AuditName;
use std::sync::Arc;

/// Records a source may write at once, then one a minute.
const BURST: u32 = 10;
const PER_SEC: f64 = 1.0 / 60.0;

/// Who was refused, and what.
pub struct Refused<'a> {
    /// The budget it is counted against: a user name or an address.
    pub source: &'a str,
    /// Who the history names: the user, or a description of the caller.
    pub actor: &'a str,
    /// What was refused: a path, a user name.
    pub target: &'a str,
    pub message: String,
    pub detail: Option<String>,
}

pub struct Refusals {
    audit: Arc<AuditLog>,
    budgets: KeyedBuckets<String>,
}

impl Refusals {
    pub fn new(audit: Arc<AuditLog>) -> Self {
        Self {
            audit,
            budgets: KeyedBuckets::new(BURST, PER_SEC),
        }
    }

    /// Records a refusal, if the source's budget allows. A failure to write
    /// is logged: the refusal itself already happened and stands.
    pub async fn record(&self, r: Refused<'_>) {
        let Ok(unrecorded) = self.budgets.take(&r.source.to_string()) else {
            return;
        };
        let mut message = r.message;
        if unrecorded > 0 {
            message.push_str(&format!(
                " ({unrecorded} earlier refusals from the same source were not recorded.)"
            ));
        }
        if let Err(e) = self
            .audit
            .record_event(
                Intent::event(r.actor, AuditName::Refused, r.target, r.detail.as_deref()),
                Outcome::local(false, message),
            )
            .await
        {
            tracing::error!(error = %e, "a refusal could not be audited");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_flood_leaves_its_burst_and_says_what_it_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let audit = Arc::new(AuditLog::open(&dir.path().join("r.db")).await.unwrap());
        let r = Refusals::new(audit.clone());
        for _ in 0..50 {
            r.record(Refused {
                source: "mallory",
                actor: "mallory",
                target: "/api/destroy_peering",
                message: "Refused.".into(),
                detail: None,
            })
            .await;
        }
        let entries = audit.recent(1000).await.unwrap();
        let entries: Vec<_> = entries
            .into_iter()
            .filter(|e| e.action != AuditName::AuditKeyed.as_str())
            .collect();
        assert_eq!(entries.len(), BURST as usize);
        assert!(
            entries
                .iter()
                .all(|e| e.action == AuditName::Refused.as_str())
        );
    }
}
