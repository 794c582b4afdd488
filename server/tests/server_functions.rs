//! The console's server functions over HTTP, against a running server with
//! a temporary SQLite file and the simulated provider behind it: what a
//! browser (or anyone with curl) can do, and what they cannot.

use crate::common::{Console, PCX, SPACE, without_sign_ins};
use domain::model::{ActionResult, AuditPage, PeeringStatus};
use domain::views::Overview;
use domain::views::SpaceView;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

async fn audit(c: &Console) -> AuditPage {
    without_sign_ins(c.audit(&[]).await)
}

#[tokio::test]
async fn overview_and_space_pages_read_the_provider() {
    let c = Console::start().await;
    let overview: Overview = c.read("overview", &[]).await;
    assert_eq!(overview.spaces.len(), 4);
    let example = overview.spaces.iter().find(|s| s.name == SPACE).unwrap();
    assert_eq!(example.pending, 1);
    let view: SpaceView = c.read("space", &[("space", SPACE)]).await;
    assert_eq!(view.info.vpc_cidr, "10.0.0.0/16");
    // The server-rendered page carries the same data before any script runs.
    let html = c
        .http
        .get(format!("{}/spaces/{SPACE}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 200);
    assert_eq!(html.headers()["x-content-type-options"], "nosniff");
    let html = html.text().await.unwrap();
    assert!(html.contains(PCX) && html.contains("vpc-e291cc85"));
}

#[tokio::test]
async fn accept_is_audited_and_reaches_active() {
    let c = Console::start().await;
    let done: ActionResult = c
        .read("accept_peering", &[("space", SPACE), ("pcx_id", PCX)])
        .await;
    assert_eq!(done.status, PeeringStatus::Provisioning);
    // Provisioning takes 60 s / 600 = 100 ms; the read cache lives 1 s.
    let mut status = String::new();
    for _ in 0..40 {
        status = c.peering_status(PCX).await;
        if status == "active" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "active");
    let page = c.audit(&[]).await;
    let e = &page.entries[0];
    assert_eq!(
        (e.action.as_str(), e.target.as_str()),
        (domain::kind::AuditName::PeeringAccept.as_str(), PCX)
    );
    assert_eq!(e.actor, "t-admin");
    assert_eq!(e.outcome.as_deref(), Some("ok"));
    assert_eq!(e.provider_status.as_deref(), Some("provisioning"));
    assert!(e.request_id.as_ref().is_some_and(|r| r.len() >= 32));
    // The record that keys the new history, the two sign-ins of the
    // harness (over TCP and in-process), each an intent and an outcome,
    // then the accept.
    assert_eq!(page.chain.records, 8);
    assert!(page.chain.broken_at.is_none());
}

#[tokio::test]
async fn bad_input_gets_a_clear_message_and_changes_nothing() {
    let c = Console::start().await;
    /// A server function, its form, the status wanted and words the message must hold.
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], u16, &'a str);
    let cases: &[Case] = &[
        (
            "accept_peering",
            &[("space", SPACE), ("pcx_id", "pcx-nothex!")],
            400,
            "PCX ID",
        ),
        (
            "accept_peering",
            &[("space", "Bad Space"), ("pcx_id", PCX)],
            400,
            "space name",
        ),
        ("accept_peering", &[("space", SPACE)], 400, "malformed"),
        (
            "accept_peering",
            &[("space", SPACE), ("pcx_id", "pcx-99999999")],
            404,
            "peering",
        ),
        (
            "accept_peering",
            &[("space", "no-such-space"), ("pcx_id", PCX)],
            404,
            "space",
        ),
        (
            "destroy_peering",
            &[
                ("space", SPACE),
                ("pcx_id", PCX),
                ("confirm", "pcx-111aaa112"),
            ],
            400,
            "type the PCX ID",
        ),
        (
            "destroy_peering",
            &[("space", SPACE), ("pcx_id", PCX), ("confirm", "")],
            400,
            "type the PCX ID",
        ),
        (
            "destroy_peering",
            &[
                ("space", SPACE),
                ("pcx_id", "******"),
                ("confirm", "******"),
            ],
            400,
            "PCX ID",
        ),
        ("space", &[("space", "no-such-space")], 404, "space"),
    ];
    for (name, form, want, words) in cases {
        let (status, body) = c.call(name, form).await;
        assert_eq!(status, *want, "{name} {form:?}: {body}");
        let text = body.to_string();
        assert!(text.contains(words), "{name} {form:?}: {text}");
    }
    assert_eq!(c.peering_status(PCX).await, "pending-acceptance");
    let page = audit(&c).await;
    assert!(
        page.entries.is_empty(),
        "refused input leaves no audit rows: {page:?}"
    );
}

#[tokio::test]
async fn destroy_needs_the_typed_pcx_id() {
    let c = Console::start().await;
    let target = "pcx-0a1b2c3d4e5f60718";
    let (status, done) = c
        .call(
            "destroy_peering",
            &[
                ("space", "acme-prod-tokyo"),
                ("pcx_id", target),
                ("confirm", target),
            ],
        )
        .await;
    assert_eq!(status, 200, "{done}");
    let done: ActionResult = serde_json::from_value(done).unwrap();
    assert_eq!(done.status, PeeringStatus::Deleting);
    // A second destroy is refused: it is already going.
    let (status, _) = c
        .call(
            "destroy_peering",
            &[
                ("space", "acme-prod-tokyo"),
                ("pcx_id", target),
                ("confirm", target),
            ],
        )
        .await;
    assert_eq!(status, 409);
    let page = audit(&c).await;
    assert_eq!(page.entries.len(), 1, "{page:?}");
    assert_eq!(
        page.entries[0].action,
        domain::kind::AuditName::PeeringDestroy.as_str()
    );
    assert!(c.audit(&[("space", SPACE)]).await.entries.is_empty());
}

#[tokio::test]
async fn accept_refuses_what_the_checks_block() {
    let c = Console::start().await;
    let r = c
        .sim
        .control(
            Method::POST,
            &format!("/spaces/{SPACE}/peering-requests"),
            json!({"aws_account_id": "210987654321", "vpc_id": "vpc-0fedcba987654321",
                   "cidr_block": "10.200.0.0/16", "immediate": true, "expires_in_secs": 1}),
        )
        .await;
    let pcx = r.json::<serde_json::Value>().await.unwrap()["pcx_id"]
        .as_str()
        .unwrap()
        .to_string();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = c
        .call("accept_peering", &[("space", SPACE), ("pcx_id", &pcx)])
        .await;
    assert_eq!(status, 409, "an expired request cannot be accepted: {body}");
    assert!(body.to_string().contains("expired"));
}

#[tokio::test]
async fn provider_failures_are_messages_not_500s() {
    let c = Console::start().await;
    c.sim
        .control(Method::PUT, "/faults", json!({"rate_limit_next": 5}))
        .await;
    let (status, body) = c.call("space", &[("space", "acme-staging")]).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.to_string().contains("rate limit"));
    c.sim.control(Method::DELETE, "/faults", json!({})).await;
    // Once read, a later failure shows the last good data and the error.
    let (status, _) = c.call("space", &[("space", "acme-staging")]).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    c.sim
        .control(
            Method::PUT,
            "/faults",
            json!({"fail_next": 5, "fail_status": 503}),
        )
        .await;
    let view: SpaceView = c.read("space", &[("space", "acme-staging")]).await;
    let stale = view.freshness.stale_error.unwrap_or_default();
    assert!(stale.contains("503"), "{stale}");
}

#[tokio::test]
async fn a_lost_answer_is_audited_with_the_read_back_status() {
    let c = Console::start().await;
    c.sim
        .control(
            Method::PUT,
            "/faults",
            json!({"fail_after_next": 1, "fail_status": 504, "method": "POST"}),
        )
        .await;
    let (status, done) = c
        .call("accept_peering", &[("space", SPACE), ("pcx_id", PCX)])
        .await;
    assert_eq!(status, 200, "{done}");
    let done: ActionResult = serde_json::from_value(done).unwrap();
    assert!(done.message.contains("lost"), "{done:?}");
    let page = audit(&c).await;
    assert_eq!(
        page.entries[0].provider_status.as_deref(),
        Some("provisioning")
    );
}

#[tokio::test]
async fn no_audit_no_action() {
    let c = Console::start().await;
    // Make every insert into the history fail, as a full disk would.
    sqlx::query("CREATE TRIGGER refuse BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        .execute(&sqlx::SqlitePool::connect(&format!("sqlite://{}", c.db.display())).await.unwrap())
        .await
        .unwrap();
    let (status, body) = c
        .call("accept_peering", &[("space", SPACE), ("pcx_id", PCX)])
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(body["AuditUnavailable"].is_string(), "{body}");
    assert_eq!(
        c.peering_status(PCX).await,
        "pending-acceptance",
        "the provider was never called"
    );
}

#[tokio::test]
async fn the_history_cannot_be_quietly_edited() {
    let c = Console::start().await;
    c.call("accept_peering", &[("space", SPACE), ("pcx_id", PCX)])
        .await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", c.db.display()))
        .await
        .unwrap();
    let refused = sqlx::query("UPDATE audit_events SET actor = 'someone-else'")
        .execute(&pool)
        .await;
    assert!(refused.unwrap_err().to_string().contains("append-only"));
    assert!(
        sqlx::query("DELETE FROM audit_events")
            .execute(&pool)
            .await
            .is_err()
    );
    // Around the triggers, the chain still shows it.
    sqlx::query("DROP TRIGGER audit_events_no_update")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_events SET actor = 'someone-else' WHERE id = 1")
        .execute(&pool)
        .await
        .unwrap();
    // The console verifies new records as they come, and every record at
    // start-up (`audit_tamper.rs` has every other way of tampering).
    let c = c.restart(&[]).await;
    for _ in 0..100 {
        let chain = audit(&c).await.chain;
        if chain.verified_at.is_some() {
            assert_eq!(chain.broken_at, Some(1), "{chain:?}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never verified");
}

#[tokio::test]
async fn open_intents_are_reconciled_at_start_up() {
    let c = Console::start().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", c.db.display()))
        .await
        .unwrap();
    let log = server::audit::AuditLog::open(&c.db).await.unwrap();
    // An intent written, then the process stopped before the outcome.
    let accept = domain::action::ProviderAction::AcceptPeering {
        space: SPACE.parse().unwrap(),
        pcx_id: PCX.parse().unwrap(),
    };
    log.record_intent(server::audit::Intent {
        actor: "t-admin",
        name: accept.name(),
        space: SPACE,
        target: PCX,
        detail: None,
        action: Some(&accept.into()),
    })
    .await
    .unwrap();
    drop(pool);
    assert_eq!(c.console.executor().reconcile().await.unwrap(), 1);
    // The provider shows the request still pending: the accept did not
    // happen, which is known, not unknown.
    let page = audit(&c).await;
    let e = &page.entries[0];
    assert_eq!(e.outcome.as_deref(), Some("error"));
    let message = e.message.as_deref().unwrap();
    assert!(
        message.contains("Settled after the console carrying it out stopped")
            && message.contains("did not take effect"),
        "{message}"
    );
    assert_eq!(e.provider_status.as_deref(), Some("pending-acceptance"));
    assert_eq!(c.console.executor().reconcile().await.unwrap(), 0);
}
