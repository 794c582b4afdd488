//! The watcher: every refresh period (or slower, to stay inside its share
//! of the provider's rate limit) it looks at what the caches say of every
//! space, compares with what it saw last time (kept in SQLite), and
//! records what changed as events: a new request, a deadline within 24 h
//! or 1 h, a peering failed, active or deleted, a PrivateLink Operational
//! or gone, an approval asked for or decided, the history failing
//! verification.
//!
//! The first look at a space only notes what is there: a console started
//! on a busy account does not announce every peering it finds as new.

use crate::approvals::Approvals;
use crate::audit::integrity::Integrity;
use crate::db::consoles::Leadership;
use crate::gateway::Gateway;
use crate::gateway::observe::{LinkSeen, PeeringSeen};
use crate::notify::{NewEvent, Notifications, Seen, StoreError};
use domain::approval::ApprovalState;
use domain::model::PeeringStatus;
use domain::notify::{EventKind, WatchStatus};
use domain::policy::Expectation;
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The add-ons' PrivateLinks are looked at every this many looks: they
/// change over minutes, and cost a call each.
const LINKS_EVERY: u64 = 6;
const HOUR: Duration = Duration::from_secs(3600);

/// What the watcher has cost and found lately, shared with the console
/// that shows it on the overview.
pub struct WatchLog {
    /// The most provider calls it may make in an hour.
    budget: u64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Whether this console watches, or another sharing the database does.
    elsewhere: bool,
    /// Provider calls made by each look of the last hour.
    calls: VecDeque<(Instant, u64)>,
    last_check: Option<String>,
    error: Option<String>,
}

impl State {
    fn last_hour(&mut self) -> u64 {
        while self.calls.front().is_some_and(|(t, _)| t.elapsed() > HOUR) {
            self.calls.pop_front();
        }
        self.calls.iter().map(|(_, n)| n).sum()
    }
}

impl WatchLog {
    pub fn new(budget: u64) -> Self {
        Self {
            budget,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What it costs and when it last looked, for the overview.
    pub fn status(&self) -> WatchStatus {
        let mut s = self.state();
        WatchStatus {
            elsewhere: s.elsewhere,
            calls_last_hour: s.last_hour(),
            looks_last_hour: s.calls.len() as u64,
            budget: self.budget,
            last_check: s.last_check.clone(),
            error: s.error.clone(),
        }
    }

    /// Notes whether this console watches now.
    fn leading(&self, leads: bool) {
        self.state().elsewhere = !leads;
    }

    /// Notes a look that cost `calls`; returns the looks and the calls
    /// of the last hour.
    fn looked(&self, calls: u64, error: Option<String>) -> (u64, u64) {
        let mut s = self.state();
        s.calls.push_back((Instant::now(), calls));
        s.last_check = Some(crate::db::now());
        s.error = error;
        let calls = s.last_hour();
        (s.calls.len() as u64, calls)
    }
}

pub struct Watcher {
    gateway: Arc<Gateway>,
    store: Arc<Notifications>,
    approvals: Arc<Approvals>,
    integrity: Option<Arc<Integrity>>,
    log: Arc<WatchLog>,
    refresh: Duration,
    /// Consoles sharing a database watch one at a time: the provider's
    /// budget is spent once, and each change is seen once.
    lead: Leadership,
}

/// The advisory lock the watching console holds (see `db::consoles`).
const WATCH_LOCK: i64 = 0x5370_6163_6557_6174; // "SpaceWat"

impl Watcher {
    pub fn new(
        gateway: Arc<Gateway>,
        store: Arc<Notifications>,
        approvals: Arc<Approvals>,
        integrity: Option<Arc<Integrity>>,
        log: Arc<WatchLog>,
        refresh: Duration,
    ) -> Self {
        let lead = Leadership::new(store.db().clone(), WATCH_LOCK);
        Self {
            gateway,
            store,
            approvals,
            integrity,
            log,
            refresh,
            lead,
        }
    }

    /// Looks, and looks again, for as long as the console runs.
    pub fn spawn(self: Arc<Self>) {
        tokio::spawn(async move {
            let mut looks: u64 = 0;
            loop {
                let leads = self.lead.lead().await;
                self.log.leading(leads);
                if !leads {
                    // Another console watches; look again for the lead
                    // within a refresh period, should it go.
                    tokio::time::sleep(self.refresh).await;
                    continue;
                }
                let with_links = looks.is_multiple_of(LINKS_EVERY);
                looks += 1;
                let (result, calls) = crate::provider::counting(self.look(with_links)).await;
                if let Err(e) = &result {
                    tracing::warn!(error = %e, "the watcher could not look");
                }
                let (looks, spent) = self.log.looked(calls, result.err());
                let wait = pause(self.refresh, self.log.budget, looks, spent);
                tokio::time::sleep(wait).await;
            }
        });
    }

    /// One look at everything. The console's own records come first: a
    /// provider that does not answer must not hold back an approval's
    /// or the history's events.
    async fn look(&self, with_links: bool) -> Result<(), String> {
        let fail = |e: StoreError| format!("the events could not be recorded: {e}");
        let now = OffsetDateTime::now_utc();
        self.look_at_approvals(now).await?;
        if let Some(finding) = self.integrity.as_ref().and_then(|i| i.alarm()) {
            self.store
                .record(&[audit_event(&finding)], None)
                .await
                .map_err(fail)?;
        }
        let expected = self
            .approvals
            .expected(None, &crate::db::now())
            .await
            .map_err(|e| format!("the expected peers could not be read: {e}"))?;
        for space in &self.gateway.observe(with_links, &expected).await? {
            if let Some(peerings) = &space.peerings {
                let before = self
                    .store
                    .seen("peering", &space.name)
                    .await
                    .map_err(fail)?;
                let (events, seen) = peering_events(&space.name, before.as_ref(), peerings, now);
                self.store
                    .record(&events, Some(("peering", &space.name, &seen)))
                    .await
                    .map_err(fail)?;
            }
            if let Some(links) = &space.links {
                let before = self.store.seen("link", &space.name).await.map_err(fail)?;
                let (events, seen) = link_events(&space.name, before.as_ref(), links, now);
                self.store
                    .record(&events, Some(("link", &space.name, &seen)))
                    .await
                    .map_err(fail)?;
            }
        }
        Ok(())
    }

    /// Approval requests asked for or decided since the last look (a
    /// minute of overlap; their keys make a second notice harmless).
    async fn look_at_approvals(&self, now: OffsetDateTime) -> Result<(), String> {
        const MARK: &str = "approvals";
        let fail = |e: StoreError| format!("the events could not be recorded: {e}");
        let since = match self.store.mark(MARK).await.map_err(fail)? {
            Some(since) => since,
            // The first look starts the record here.
            None => crate::db::stamp(now),
        };
        let requests = self
            .approvals
            .touched_since(&since)
            .await
            .map_err(|e| format!("the approval requests could not be read: {e}"))?;
        let events: Vec<NewEvent> = requests
            .iter()
            .flat_map(|r| approval_events(r, &since))
            .collect();
        self.store.record(&events, None).await.map_err(fail)?;
        self.store
            .set_mark(MARK, &crate::db::stamp(now - time::Duration::minutes(1)))
            .await
            .map_err(fail)
    }
}

/// How long to wait after a look, given the `looks` of the last hour and
/// the `calls` they made: at least a refresh period, long enough that
/// looks costing what they cost on average fit `budget` calls an hour, and
/// five minutes while the last hour has used the whole budget.
pub fn pause(refresh: Duration, budget: u64, looks: u64, calls: u64) -> Duration {
    let budget = budget.max(1);
    let per_look = calls as f64 / looks.max(1) as f64;
    let paced = HOUR.mul_f64(per_look / budget as f64);
    let spent = if calls >= budget {
        HOUR / 12
    } else {
        Duration::ZERO
    };
    refresh.max(paced).max(spent)
}

fn space_link(space: &str) -> String {
    format!("/spaces/{space}")
}

/// The events in what `space`'s peerings are now, against what was seen
/// `before` (`None`: never looked), and what to remember of them.
pub fn peering_events(
    space: &str,
    before: Option<&HashMap<String, String>>,
    now: &[PeeringSeen],
    at: OffsetDateTime,
) -> (Vec<NewEvent>, Vec<Seen>) {
    let mut events = Vec::new();
    let event =
        |kind: EventKind, key: String, p: &domain::model::Peering, title: String| NewEvent {
            kind,
            key,
            space: space.to_string(),
            subject: p.pcx_id.clone(),
            title,
            link: space_link(space),
            data: json!({
                "space": space,
                "pcx_id": p.pcx_id,
                "status": p.status.as_str(),
                "aws_account_id": p.aws_account_id,
                "aws_vpc_id": p.aws_vpc_id,
                "aws_region": p.aws_region,
                "cidr_blocks": p.all_cidrs(),
                "expires": p.expires,
            }),
        };
    for s in now {
        let p = &s.peering;
        let pcx = &p.pcx_id;
        let was = before.and_then(|b| b.get(pcx));
        let changed = before.is_some() && was.map(String::as_str) != Some(p.status.as_str());
        if changed {
            let kind = match p.status {
                PeeringStatus::PendingAcceptance => Some(EventKind::PeeringRequested),
                PeeringStatus::Failed => Some(EventKind::PeeringFailed),
                PeeringStatus::Active => Some(EventKind::PeeringActive),
                PeeringStatus::Deleted => Some(EventKind::PeeringDeleted),
                _ => None,
            };
            if let Some(kind) = kind {
                let title = match kind {
                    EventKind::PeeringRequested => {
                        let marker = match &s.expected {
                            Some(Expectation::Expected(note)) => format!("expected: {note}"),
                            _ => "unexpected requester".into(),
                        };
                        format!(
                            "New peering request {pcx} in {space} from AWS account {} ({}): {marker}",
                            p.aws_account_id.as_deref().unwrap_or("unknown"),
                            p.all_cidrs().join(", ")
                        )
                    }
                    _ => format!("Peering {pcx} in {space} is now {}", p.status),
                };
                let mut e = event(kind, format!("{kind}:{space}:{pcx}"), p, title);
                if kind == EventKind::PeeringRequested {
                    e.data["expected"] =
                        json!(matches!(s.expected, Some(Expectation::Expected(_))));
                }
                events.push(e);
            }
        }
        if p.status == PeeringStatus::PendingAcceptance
            && let Some(left) = p.expires.as_deref().and_then(|e| seconds_until(e, at))
            && left > 0
        {
            let window = if left <= 3600 {
                Some("1h")
            } else if left <= 24 * 3600 {
                Some("24h")
            } else {
                None
            };
            if let Some(window) = window {
                let title = format!(
                    "Peering request {pcx} in {space} expires within {} (at {})",
                    if window == "1h" { "1 hour" } else { "24 hours" },
                    p.expires.as_deref().unwrap_or_default()
                );
                let kind = EventKind::PeeringExpiring;
                let mut e = event(kind, format!("{kind}:{window}:{space}:{pcx}"), p, title);
                e.data["within"] = json!(window);
                events.push(e);
            }
        }
    }
    if let Some(before) = before {
        for (pcx, status) in before {
            if status != PeeringStatus::Deleted.as_str()
                && !now.iter().any(|s| &s.peering.pcx_id == pcx)
            {
                let kind = EventKind::PeeringDeleted;
                events.push(NewEvent {
                    kind,
                    key: format!("{kind}:{space}:{pcx}"),
                    space: space.to_string(),
                    subject: pcx.clone(),
                    title: format!("Peering {pcx} in {space} is gone (it was {status})"),
                    link: space_link(space),
                    data: json!({ "space": space, "pcx_id": pcx, "status": "deleted",
                                  "previous_status": status }),
                });
            }
        }
    }
    let seen = now
        .iter()
        .map(|s| Seen {
            kind: "peering",
            scope: space.to_string(),
            subject: s.peering.pcx_id.clone(),
            status: s.peering.status.as_str().to_string(),
        })
        .collect();
    (events, seen)
}

fn seconds_until(at: &str, now: OffsetDateTime) -> Option<i64> {
    let t = OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    Some((t - now).whole_seconds())
}

/// The events in what `space`'s PrivateLinks are now, against `before`.
pub fn link_events(
    space: &str,
    before: Option<&HashMap<String, String>>,
    now: &[LinkSeen],
    at: OffsetDateTime,
) -> (Vec<NewEvent>, Vec<Seen>) {
    const NONE: &str = "none";
    let operational = domain::model::PrivateLinkStatus::Operational.as_str();
    let gone = |s: &str| s == NONE || s == domain::model::PrivateLinkStatus::Deprovisioned.as_str();
    // An add-on's name comes back after a destroy and a create; the
    // minute tells one Operational apart from the next.
    let minute = at.unix_timestamp() / 60;
    let mut events = Vec::new();
    let mut seen = Vec::new();
    for l in now {
        let was = before.and_then(|b| b.get(&l.addon)).cloned();
        if l.unread {
            // Nothing concluded: remember what was known.
            if let Some(was) = was {
                seen.push(link_seen(space, &l.addon, was));
            }
            continue;
        }
        let status = l.status.clone().unwrap_or_else(|| NONE.into());
        if let (Some(before), true) = (before, was.as_deref() != Some(status.as_str())) {
            let was_known = before.contains_key(&l.addon);
            let kind = if status == operational {
                Some(EventKind::PrivateLinkOperational)
            } else if gone(&status) && was_known && !was.as_deref().is_some_and(gone) {
                Some(EventKind::PrivateLinkGone)
            } else {
                None
            };
            if let Some(kind) = kind {
                let addon = &l.addon;
                events.push(NewEvent {
                    kind,
                    key: format!("{kind}:{space}:{addon}:{minute}"),
                    space: space.to_string(),
                    subject: addon.clone(),
                    title: match kind {
                        EventKind::PrivateLinkOperational => {
                            format!("The PrivateLink of {addon} in {space} is Operational")
                        }
                        _ => format!("The PrivateLink of {addon} in {space} is gone"),
                    },
                    link: format!("/spaces/{space}/addons/{addon}"),
                    data: json!({ "space": space, "addon": addon, "status": status,
                                  "previous_status": was }),
                });
            }
        }
        seen.push(link_seen(space, &l.addon, status));
    }
    (events, seen)
}

fn link_seen(space: &str, addon: &str, status: String) -> Seen {
    Seen {
        kind: "link",
        scope: space.to_string(),
        subject: addon.to_string(),
        status,
    }
}

/// What a request asked for or decided since `since` is, as events.
fn approval_events(r: &crate::approvals::Request, since: &str) -> Vec<NewEvent> {
    let mut out = Vec::new();
    let base = |kind: EventKind, key: String, title: String| NewEvent {
        kind,
        key,
        space: r.space.clone(),
        subject: format!("approval #{}", r.id),
        title,
        link: "/inbox".into(),
        data: json!({
            "request": r.id,
            "action": r.kind.as_str(),
            "target": r.target,
            "space": r.space,
            "requester": r.requester,
            "reason": r.reason,
            "state": r.state.as_str(),
            "decided_by": r.decided_by,
            "comment": r.comment,
        }),
    };
    if r.requested_at.as_str() >= since {
        let kind = EventKind::ApprovalRequested;
        out.push(base(
            kind,
            format!("{kind}:{}", r.id),
            format!(
                "{} asks for approval #{}: {} {} ({})",
                r.requester, r.id, r.kind, r.target, r.reason
            ),
        ));
    }
    let decided = matches!(
        r.state,
        ApprovalState::Executed
            | ApprovalState::Failed
            | ApprovalState::Rejected
            | ApprovalState::Withdrawn
            | ApprovalState::Expired
    );
    if decided && r.decided_at.as_deref().is_some_and(|d| d >= since) {
        let kind = EventKind::ApprovalDecided;
        out.push(base(
            kind,
            format!("{kind}:{}", r.id),
            format!(
                "Approval #{} ({} {}) was {}{}",
                r.id,
                r.kind,
                r.target,
                r.state.as_str(),
                r.decided_by
                    .as_deref()
                    .map(|by| format!(" by {by}"))
                    .unwrap_or_default()
            ),
        ));
    }
    out
}

fn audit_event(finding: &str) -> NewEvent {
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(finding.as_bytes()));
    let kind = EventKind::AuditFailed;
    NewEvent {
        kind,
        key: format!("{kind}:{digest}"),
        space: String::new(),
        subject: "audit history".into(),
        title: format!("The audit history failed verification: {finding}"),
        link: "/audit".into(),
        data: json!({ "finding": finding }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::model::{Peering, PeeringType};

    fn peering(pcx: &str, status: PeeringStatus, expires: Option<&str>) -> PeeringSeen {
        PeeringSeen {
            peering: Peering {
                kind: PeeringType::Unknown,
                pcx_id: pcx.into(),
                cidr_blocks: vec!["10.200.0.0/16".into()],
                cidr_block: None,
                status,
                aws_vpc_id: Some("vpc-0fedcba987654321".into()),
                aws_region: Some("us-east-1".into()),
                aws_account_id: Some("210987654321".into()),
                expires: expires.map(str::to_string),
            },
            expected: None,
        }
    }

    fn at(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
    }

    fn kinds(events: &[NewEvent]) -> Vec<&str> {
        events.iter().map(|e| e.key.as_str()).collect()
    }

    #[test]
    fn the_pause_keeps_the_hour_inside_the_budget() {
        let ten = Duration::from_secs(10);
        // Looks that cost nothing (the pages' reads were fresh): every period.
        assert_eq!(pause(ten, 450, 30, 0), ten);
        // 5.5 calls a look at 450 an hour: one look every 44 s.
        assert_eq!(pause(ten, 450, 10, 55), Duration::from_secs(44));
        // 4 calls a look at 4500 an hour would allow 3.2 s: the period rules.
        assert_eq!(pause(ten, 4500, 10, 40), ten);
        // The hour's budget used up: wait a twelfth of an hour.
        assert_eq!(pause(ten, 450, 100, 450), Duration::from_secs(300));
    }

    #[test]
    fn a_first_look_only_notes_what_is_there_but_for_deadlines() {
        let now = at("2026-12-03T12:00:00Z");
        let seen = [
            peering(
                "pcx-1",
                PeeringStatus::PendingAcceptance,
                Some("2026-12-10T12:00:00Z"),
            ),
            peering("pcx-2", PeeringStatus::Active, None),
            peering(
                "pcx-3",
                PeeringStatus::PendingAcceptance,
                Some("2026-12-03T20:00:00Z"),
            ),
        ];
        let (events, remembered) = peering_events("s", None, &seen, now);
        assert_eq!(kinds(&events), ["peering.expiring:24h:s:pcx-3"]);
        assert_eq!(remembered.len(), 3);
    }

    #[test]
    fn changes_against_what_was_seen_are_events_once_each() {
        let now = at("2026-12-03T12:00:00Z");
        let before: HashMap<String, String> = [
            ("pcx-2".to_string(), "provisioning".to_string()),
            ("pcx-4".to_string(), "active".to_string()),
            ("pcx-5".to_string(), "pending-acceptance".to_string()),
        ]
        .into();
        let seen = [
            peering(
                "pcx-1",
                PeeringStatus::PendingAcceptance,
                Some("2026-12-03T12:30:00Z"),
            ),
            peering("pcx-2", PeeringStatus::Active, None),
            peering("pcx-5", PeeringStatus::Failed, None),
        ];
        let (events, _) = peering_events("s", Some(&before), &seen, now);
        let mut keys = kinds(&events);
        keys.sort();
        assert_eq!(
            keys,
            [
                "peering.active:s:pcx-2",
                "peering.deleted:s:pcx-4",
                "peering.expiring:1h:s:pcx-1",
                "peering.failed:s:pcx-5",
                "peering.requested:s:pcx-1",
            ]
        );
        assert!(
            events[0].title.contains("unexpected requester"),
            "{}",
            events[0].title
        );
        // Seen again as it now is: only the deadline is said again, under
        // the same key (so the store keeps one).
        let after: HashMap<String, String> = seen
            .iter()
            .map(|s| {
                (
                    s.peering.pcx_id.clone(),
                    s.peering.status.as_str().to_string(),
                )
            })
            .collect();
        let (again, _) = peering_events("s", Some(&after), &seen, now);
        assert_eq!(kinds(&again), ["peering.expiring:1h:s:pcx-1"]);
    }

    #[test]
    fn privatelinks_operational_or_gone_and_unread_ones_keep_their_state() {
        let now = at("2026-12-03T12:00:00Z");
        let link = |addon: &str, status: Option<&str>, unread: bool| LinkSeen {
            addon: addon.into(),
            status: status.map(str::to_string),
            unread,
        };
        let before: HashMap<String, String> = [
            ("a".to_string(), "Provisioning".to_string()),
            ("b".to_string(), "Operational".to_string()),
            ("c".to_string(), "Operational".to_string()),
        ]
        .into();
        let now_seen = [
            link("a", Some("Operational"), false),
            link("b", None, false),
            link("c", None, true),
        ];
        let (events, seen) = link_events("s", Some(&before), &now_seen, now);
        let keys: Vec<_> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            keys,
            [
                EventKind::PrivateLinkOperational,
                EventKind::PrivateLinkGone
            ]
        );
        assert_eq!(
            seen[2].status, "Operational",
            "an unread link keeps its state"
        );
        let (first, _) = link_events("s", None, &now_seen, now);
        assert!(first.is_empty());
    }
}
