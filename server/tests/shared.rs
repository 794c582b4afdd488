//! Two consoles on one PostgreSQL database, against one provider: any
//! console serves any user, a decision is made once, a change made on one
//! shows on the other at once, and the provider is watched once. (The
//! consoles killed and restarted as processes are in `deploy`.)

use crate::common::{Backend, Console, InProcess, SPACE, Sim, fresh_database};
use crate::notifications::{Mode, Receiver, WATCH, add_webhook, request_peering, watcher_looked};
use domain::access::Role;
use domain::action::ProviderAction;
use domain::views::SpaceView;
use std::time::{Duration, Instant};

/// The seeded pending request in `SPACE`.
const PENDING: &str = "pcx-111aaa111";

/// Two consoles on a new PostgreSQL database with the test users, the
/// key they share, and the simulator they both use.
pub(crate) struct Pair {
    pub a: Console,
    pub b: Console,
    pub sim: Sim,
    pub at: server::db::Location,
    pub key: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Pair {
    /// `open`: a policy that holds nothing back (else a new console's).
    pub(crate) async fn start(open: bool, extra: &[&str]) -> Self {
        let at = fresh_database(Backend::Postgres).await.location;
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("audit-key");
        std::fs::write(&key, format!("{}\n", "5a".repeat(32))).unwrap();
        let db = server::db::open(&at).await.unwrap();
        crate::common::make_users_in(&db).await;
        if open {
            let mut policy = domain::policy::Policy::default();
            policy.approvals.clear();
            server::approvals::Approvals::new(db.clone())
                .set_policy(&policy)
                .await
                .unwrap();
        }
        db.close().await;
        let sim = Sim::start(600.0).await;
        let a = Console::start_shared(&sim, &at, &key, extra).await;
        let b = Console::start_shared(&sim, &at, &key, extra).await;
        Self {
            a,
            b,
            sim,
            at,
            key,
            _dir: dir,
        }
    }
}

fn accept(pcx: &str) -> String {
    serde_json::to_string(&ProviderAction::AcceptPeering {
        space: SPACE.parse().unwrap(),
        pcx_id: pcx.parse().unwrap(),
    })
    .unwrap()
}

async fn status_of(c: &Console, pcx: &str) -> Option<String> {
    let view: SpaceView = c.read("space", &[("space", SPACE)]).await;
    view.peerings
        .iter()
        .find(|p| p.pcx_id.as_str() == pcx)
        .map(|p| p.status.to_string())
}

#[tokio::test]
async fn a_hundred_approvals_over_two_consoles_call_the_provider_once() {
    let p = Pair::start(false, &[]).await;
    let op = p.a.in_process_as(Some(Role::Operator)).await;
    let (status, asked) = op
        .call(
            "request_approval",
            &[("action", &accept(PENDING)), ("reason", "ticket 42")],
        )
        .await;
    assert_eq!(status, 200, "{asked}");
    let view: SpaceView = p.b.read("space", &[("space", SPACE)]).await;
    let id = view.approvals.requests[0].record.id;
    // The admin, signed in on both consoles, clicks a hundred times.
    let on_a = p.a.in_process_as(Some(Role::Admin)).await;
    let on_b = p.b.in_process_as(Some(Role::Admin)).await;
    let before = p.sim.stats().await.changes;
    let id = id.to_string();
    let clicks = (0..100_u32).map(|n| {
        let who = if n.is_multiple_of(2) { &on_a } else { &on_b };
        let id = id.clone();
        async move {
            who.call("approve", &[("request", &id), ("comment", "go")])
                .await
        }
    });
    let answers = futures::future::join_all(clicks).await;
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(ok, 1, "{answers:?}");
    for (status, body) in &answers {
        assert!(matches!(status, 200 | 409), "{status} {body}");
    }
    assert_eq!(p.sim.stats().await.changes, before + 1, "one accept call");
    let accepted = p.b.audit(&[("action", "peering.accept")]).await.entries;
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert_eq!(accepted[0].outcome.as_deref(), Some("ok"));
}

#[tokio::test]
async fn a_session_is_one_session_on_every_console() {
    let p = Pair::start(true, &[]).await;
    let on_a = p.a.in_process_as(Some(Role::Viewer)).await;
    let cookie = on_a.cookie().unwrap();
    // The same browser, sent to the other console by the router.
    let on_b = InProcess::with_cookie(p.b.router.clone(), &cookie);
    assert_eq!(on_b.call("overview", &[]).await.0, 200);
    // Signed out on the first, it is signed out on the second.
    let (status, _) = on_a.send("POST", "/signout", &[]).await;
    assert_eq!(status.as_u16(), 303);
    let on_b = InProcess::with_cookie(p.b.router.clone(), &cookie);
    assert_eq!(on_b.call("overview", &[]).await.0, 401);

    // A role changed on one console holds on the other at once.
    let op_on_b = p.b.in_process_as(Some(Role::Operator)).await;
    assert_eq!(op_on_b.call("inbox", &[]).await.0, 200);
    let (status, body) =
        p.a.call(
            "set_user_role",
            &[("name", "t-operator"), ("role", "viewer")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = op_on_b
        .call(
            "accept_peering",
            &[("space", SPACE), ("pcx_id", PENDING), ("confirm", PENDING)],
        )
        .await;
    assert!(matches!(status, 401 | 403), "{status}");
}

#[tokio::test]
async fn an_accept_on_one_console_shows_on_the_other_within_a_second() {
    // Reads are kept a minute: only the announcement makes it show sooner.
    let p = Pair::start(true, &["--refresh-secs", "60"]).await;
    assert_eq!(
        status_of(&p.b, PENDING).await.as_deref(),
        Some("pending-acceptance")
    );
    let (status, body) =
        p.a.call(
            "accept_peering",
            &[("space", SPACE), ("pcx_id", PENDING), ("confirm", PENDING)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let accepted = Instant::now();
    let mut seen = None;
    while accepted.elapsed() < Duration::from_secs(1) {
        let now = status_of(&p.b, PENDING).await;
        if now.as_deref() != Some("pending-acceptance") {
            seen = Some(accepted.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen = seen.expect("the other console still shows the request pending after a second");
    println!("the other console showed the accept after {seen:?}");
}

#[tokio::test]
async fn a_watched_change_is_one_event_and_one_delivery_and_watched_once() {
    let p = Pair::start(true, &WATCH).await;
    let receiver = Receiver::start(Mode::Ok).await;
    add_webhook(
        async |form| p.a.call("add_webhook", form).await,
        &receiver.url,
    )
    .await;
    // One of the two looks; the other waits for the lead.
    let looked = tokio::time::timeout(Duration::from_secs(20), async {
        tokio::select! {
            () = watcher_looked(async || p.a.call("overview", &[]).await.1) => "a",
            () = watcher_looked(async || p.b.call("overview", &[]).await.1) => "b",
        }
    })
    .await
    .expect("a console watches");
    let calls_before = p.sim.stats().await.calls;
    let pcx = request_peering(
        &p.sim,
        "210987654321",
        "vpc-0fedcba987654321",
        "10.200.0.0/16",
    )
    .await;
    let limit = Duration::from_secs(3 * crate::notifications::REFRESH);
    assert!(
        receiver
            .wait_for(limit, |got| got.iter().any(|r| r.json()["subject"] == pcx))
            .await,
        "no event"
    );
    // Two more looks' time: nothing more arrives, from either console.
    tokio::time::sleep(Duration::from_secs(2 * crate::notifications::REFRESH)).await;
    let got: Vec<_> = receiver
        .of_kind("peering.requested")
        .into_iter()
        .filter(|r| r.json()["subject"] == pcx)
        .collect();
    assert_eq!(got.len(), 1, "one delivery of one event: {got:?}");
    // Only the watching console looked: the other's watcher says nothing.
    let other = if looked == "a" { &p.b } else { &p.a };
    let overview: domain::views::Overview =
        serde_json::from_value(other.call("overview", &[]).await.1).unwrap();
    assert!(
        overview
            .watch
            .as_ref()
            .is_none_or(|w| w.looks_last_hour == 0),
        "{:?}",
        overview.watch
    );
    // The provider calls over three looks are one watcher's: a look at the
    // seeded spaces costs a handful of calls, two watchers twice that.
    let calls = p.sim.stats().await.calls - calls_before;
    println!("provider calls over about three looks of one watcher: {calls}");
    let watching = if looked == "a" { &p.a } else { &p.b };
    let overview: domain::views::Overview =
        serde_json::from_value(watching.call("overview", &[]).await.1).unwrap();
    let w = overview.watch.expect("the watcher's status");
    let per_look = w.calls_last_hour / w.looks_last_hour.max(1);
    assert!(
        calls <= per_look * 4 + 10,
        "{calls} calls, {per_look} a look: more than one watcher looked"
    );
}
