//! Refusals in the audit history: a call a role may not make, a request
//! from another site, a sign-in held back by the throttle. Each is evidence
//! someone tried, so it is recorded; but a refusal costs the refused
//! nothing, so each source (a signed-in user, or an address) gets a small
//! budget of records, refilled slowly, and what goes over it is counted
//! and mentioned in the next record that is written rather than flooding
//! the history. Many sources at once (an address each, behind a trusted
//! proxy) meet a second bound, on the whole console: past it refusals are
//! only counted, and a summary record a minute says how many.

use crate::audit::{AuditLog, Intent, Outcome};
use crate::limit::{GlobalBucket, KeyedBuckets};
use domain::kind::AuditName;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Records a source may write at once, then one a minute.
const BURST: u32 = 10;
const PER_SEC: f64 = 1.0 / 60.0;
/// Records all sources together may write at once, then one a second.
const ALL_BURST: u32 = 60;
const ALL_PER_SEC: f64 = 1.0;
/// How often a summary of what went over the console's bound is written.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);
/// Who the summary names: the console itself.
const SUMMARY_ACTOR: &str = crate::auth::bootstrap::SYSTEM_ACTOR;

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

/// The budget a refusal of an anonymous request counts against: its
/// address, IPv6 per /64 (as the sign-in throttle counts), so a client
/// cannot rotate addresses to write more.
pub fn address_source(address: Option<std::net::IpAddr>) -> String {
    address.map_or_else(
        || "an unknown address".to_string(),
        |a| super::throttle::address_key(a).to_string(),
    )
}

pub struct Refusals {
    audit: Arc<AuditLog>,
    budgets: KeyedBuckets<String>,
    all: GlobalBucket,
    /// Refusals over the console's bound, not yet in a summary.
    dropped: AtomicU64,
    /// When the last summary was written.
    summarised: std::sync::Mutex<Option<Instant>>,
}

impl Refusals {
    pub fn new(audit: Arc<AuditLog>) -> Self {
        Self {
            audit,
            budgets: KeyedBuckets::new(BURST, PER_SEC),
            all: GlobalBucket::new(ALL_BURST, ALL_PER_SEC),
            dropped: AtomicU64::new(0),
            summarised: std::sync::Mutex::new(None),
        }
    }

    /// Writes what went over the console's bound each minute, for as long
    /// as the console runs, so the count of a flood that stopped is kept.
    pub fn spawn_summaries(self: &Arc<Self>) {
        let this = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SUMMARY_EVERY);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(this) = this.upgrade() else { return };
                this.summarise(true).await;
            }
        });
    }

    /// Writes a summary of the refusals not recorded one by one: when the
    /// last was a minute ago or more, or `due` (the minute's tick).
    async fn summarise(&self, due: bool) {
        let now = Instant::now();
        {
            let mut last = self.summarised.lock().unwrap_or_else(|e| e.into_inner());
            if !due && last.is_some_and(|at| now.duration_since(at) < SUMMARY_EVERY) {
                return;
            }
            *last = Some(now);
        }
        let n = self.dropped.swap(0, Ordering::Relaxed);
        if n == 0 {
            return;
        }
        let message = format!(
            "{n} refusals were not recorded one by one: more arrived than the console records \
             (at most {ALL_BURST} at once, then {} a minute, from every source together).",
            (ALL_PER_SEC * 60.0) as u64
        );
        if let Err(e) = self
            .audit
            .record_event(
                Intent::event(SUMMARY_ACTOR, AuditName::Refused, "refusals", None),
                Outcome::local(false, message),
            )
            .await
        {
            tracing::error!(error = %e, "a summary of refusals could not be audited");
        }
    }

    /// Records a refusal, if the source's budget and the console's allow.
    /// A failure to write is logged: the refusal itself already happened
    /// and stands.
    pub async fn record(&self, r: Refused<'_>) {
        let Ok(unrecorded) = self.budgets.take(&r.source.to_string()) else {
            return;
        };
        if self.all.take().is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            self.summarise(false).await;
            return;
        }
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
