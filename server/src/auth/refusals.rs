//! Refusals in the audit history: a call a role may not make, a request
//! from another site, a sign-in held back by the throttle. Each is evidence
//! someone tried, so it is recorded; but a refusal costs the refused
//! nothing, so each source (a signed-in user, or an address) gets a small
//! budget of records, refilled slowly, and what goes over it is counted
//! and mentioned in the next record that is written rather than flooding
//! the history.

use crate::audit::AuditLog;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The action refusals are recorded under.
pub const ACTION: &str = "auth.refused";

/// Records a source may write at once...
const BURST: f64 = 10.0;
/// ...and how fast that refills.
const REFILL_EVERY: Duration = Duration::from_secs(60);
/// Past this many sources, full buckets are swept.
const SWEEP_AT: usize = 10_000;

struct Budget {
    tokens: f64,
    at: Instant,
    /// Refusals not recorded since the last one that was.
    unrecorded: u64,
}

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
    budgets: Mutex<HashMap<String, Budget>>,
}

impl Refusals {
    pub fn new(audit: Arc<AuditLog>) -> Self {
        Self {
            audit,
            budgets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a record from the source's budget: how many went unrecorded
    /// before it, or `None` when the budget is spent.
    fn take(&self, source: &str, now: Instant) -> Option<u64> {
        let mut map = self.budgets.lock().unwrap_or_else(|e| e.into_inner());
        let refill = |b: &mut Budget| {
            let gained = now.duration_since(b.at).as_secs_f64() / REFILL_EVERY.as_secs_f64();
            b.tokens = (b.tokens + gained).min(BURST);
            b.at = now;
        };
        if map.len() > SWEEP_AT {
            map.retain(|_, b| {
                refill(b);
                b.tokens < BURST || b.unrecorded > 0
            });
        }
        let b = map.entry(source.to_string()).or_insert(Budget {
            tokens: BURST,
            at: now,
            unrecorded: 0,
        });
        refill(b);
        if b.tokens < 1.0 {
            b.unrecorded += 1;
            return None;
        }
        b.tokens -= 1.0;
        Some(std::mem::take(&mut b.unrecorded))
    }

    /// Records a refusal, if the source's budget allows. A failure to write
    /// is logged: the refusal itself already happened and stands.
    pub async fn record(&self, r: Refused<'_>) {
        let Some(unrecorded) = self.take(r.source, Instant::now()) else {
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
            .record_done(r.actor, ACTION, r.target, false, message, r.detail.as_deref())
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
    async fn a_source_gets_a_burst_then_one_a_minute() {
        let dir = tempfile::tempdir().unwrap();
        let audit = Arc::new(AuditLog::open(&dir.path().join("r.db")).await.unwrap());
        let r = Refusals::new(audit);
        let now = Instant::now();
        for _ in 0..10 {
            assert_eq!(r.take("mallory", now), Some(0));
        }
        assert_eq!(r.take("mallory", now), None);
        assert_eq!(r.take("mallory", now), None);
        // Another source has its own budget.
        assert_eq!(r.take("10.0.0.1", now), Some(0));
        // A minute later one more is written, and says what was left out.
        assert_eq!(r.take("mallory", now + REFILL_EVERY), Some(2));
    }
}
